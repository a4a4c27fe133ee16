// Errors the CLI turns into exit codes (SPEC §2): bad usage or input exits 2 with one line on
// stderr; a failed check or verification exits 1. Anything else is a bug and shows its stack.

export class UsageError extends Error { override name = 'UsageError'; }
export class CheckFailed extends Error { override name = 'CheckFailed'; }
