// What the CLI may say about background work without reaching into git/ (cli stays thin): builds a
// read starts wait until its answer is printed. Kept apart from registry.ts so main.ts loads only this.
export { deferDetachedStarts, startDeferred } from '../git/background.js';
