import { defineSeedSuite } from './testing/seed-suite.js';

defineSeedSuite(0, 2);
