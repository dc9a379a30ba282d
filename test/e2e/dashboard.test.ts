// The dashboard's browser suites, run one after the other in one test file (so in one vitest
// worker): two chromiums and their servers side by side on a 2-core machine made every browser test
// 2-4 times slower than alone (measured: a 6 s test took 24 s), pushing them toward their timeouts
// while the rest of the suite ran. Each suite starts its own server; the files under dashboard/ are
// not test files of their own.
import './dashboard/sign-in-and-secrets.js';
import './dashboard/team-pages.js';
