// Tests may import test support and read the clock.
import { testPatient } from './test-support.js';
import { uniqueId } from '../../test/helpers.js';

export const ids = [testPatient(), uniqueId('org_'), Date.now()];
