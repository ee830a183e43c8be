export interface PostalAddress {
  line: string[];
  city?: string;
  state?: string;
  postalCode?: string;
  country?: string;
  /** WGS84 position of the address (FHIR's geolocation extension): only for distances computed next to the vault. */
  position?: { lat: number; lon: number };
}

/** Another identifier the organisation keeps for the patient (insurance member id, national id…). */
export interface PatientIdentifier {
  system: string;
  value: string;
}

/** The direct identifiers and demographics that live only in the vault, each field encrypted. */
export interface PatientIdentity {
  givenName?: string;
  familyName?: string;
  /** Stored as E.164. */
  phone?: string;
  /** Stored lower-case. */
  email?: string;
  /** ISO date YYYY-MM-DD. */
  birthDate?: string;
  address?: PostalAddress;
  mrn?: string;
  identifiers?: PatientIdentifier[];
}

export type IdentityField = keyof PatientIdentity;

/** Field name → vault.patients column; the order is the order fields are sealed and read. */
export const FIELD_COLUMNS: Readonly<Record<IdentityField, string>> = {
  givenName: 'given_name',
  familyName: 'family_name',
  phone: 'phone',
  email: 'email',
  birthDate: 'birth_date',
  address: 'address',
  mrn: 'mrn',
  identifiers: 'identifiers',
};

export const IDENTITY_FIELDS = Object.keys(FIELD_COLUMNS) as IdentityField[];

/** A change to an identity: a field set to null is removed, a field left out stays as it is. */
export type IdentityPatch = { [K in IdentityField]?: PatientIdentity[K] | null };

export type BlindIndexKind = 'phone' | 'email' | 'mrn' | 'phone_birth_date' | 'identifier';
