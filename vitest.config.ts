// The default suite (`make test`): everything under test/ except the soak (`make soak`).
import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { include: ['test/**/*.test.ts'], exclude: ['test/soak/**', 'node_modules/**'], testTimeout: 60_000, hookTimeout: 60_000 } });
