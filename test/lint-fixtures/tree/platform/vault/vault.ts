// Production code borrowing from test support.
import { testPatient } from './test-support.js'; // lint-expect: import-x/no-restricted-paths
import { uniqueId } from '../../test/helpers.js'; // lint-expect: import-x/no-restricted-paths

export const ids = [testPatient(), uniqueId('org_')];
