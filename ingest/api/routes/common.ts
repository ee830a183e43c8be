import { Type } from '@sinclair/typebox';

/** Ids in paths: pseudonymous, never PHI; a closed alphabet keeps them out of injection paths. */
export const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' });
export const OrgParams = Type.Object({ organizationId: Id }, { additionalProperties: false });
export const PatientParams = Type.Object({ organizationId: Id, patientId: Id }, { additionalProperties: false });
