// The shipped bundle's entry (SPEC §1): dist/device/agent.js defines globalThis.agent with the
// methods of methods.ts and nothing else.

import { defineAgent } from './boundary';
import { METHODS } from './methods';

declare const __PREFLIGHT_VERSION__: string;
defineAgent(METHODS, typeof __PREFLIGHT_VERSION__ === 'string' ? __PREFLIGHT_VERSION__ : 'dev');
