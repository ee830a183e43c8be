// Test support may use the test helpers.
import { uniqueId } from '../../test/helpers.js';

export const testPatient = (): string => uniqueId('pat_');
