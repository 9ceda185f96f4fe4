// The live bench's clock: a monotonic millisecond reading for every reported time (wall-clock
// jumps must not shorten a lag) and a plain sleep between polls.

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
