// `make soak` runs only the long soak, which the default suite leaves out.
import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { include: ['test/soak/**/*.soak.ts'], root: '.', testTimeout: 3_600_000 } });
