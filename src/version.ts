// modelgit's version, in a module of its own so that --version and the CI workflow init writes
// (which pins modelgit's reusable workflow to it) read one constant without loading package.json.
export const VERSION = '0.1.0';
