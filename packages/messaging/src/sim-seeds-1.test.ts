import { defineSeedSuite } from './testing/seed-suite.js';

defineSeedSuite(1, 2);
