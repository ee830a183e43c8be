/** Demo patients of the demo organisation: fictional people, realistic care plans. */
export interface DemoPatientSeed {
  given: string;
  family: string;
  language: 'en' | 'es';
  birthDate: string;
  phone: string;
  medications: Array<{ name: string; dose: string; times: string[]; instructions: string }>;
}

export const DEMO_ORGANIZATION = {
  id: 'org_demo',
  slug: 'sunrise-family-clinic',
  displayName: 'Sunrise Family Clinic',
  timezone: 'America/New_York',
  languages: ['en', 'es'],
  emergencyNumber: '911',
  crisisNumber: '988',
  poisonControlNumber: '1-800-222-1222',
  careTeamContact: 'Sunrise pharmacy, +1 555 010 0199',
};

const HOW_OFTEN = ['', 'once a day', 'twice a day', 'three times a day'];
// The prescription's own words, as the assistant quotes them when asked about changing a dose.
const m = (name: string, dose: string, ...times: string[]) => ({ name, dose, times, instructions: `${dose} ${HOW_OFTEN[times.length] ?? `${times.length} times a day`}, at ${times.join(' and ')}` });

export const DEMO_PATIENTS: DemoPatientSeed[] = [
  { given: 'Maria', family: 'Gonzalez', language: 'es', birthDate: '1958-03-14', phone: '+15550100101', medications: [m('Metformin', '500 mg', '08:00', '20:00')] },
  { given: 'James', family: 'Carter', language: 'en', birthDate: '1949-11-02', phone: '+15550100102', medications: [m('Lisinopril', '10 mg', '08:00')] },
  { given: 'Aisha', family: 'Khan', language: 'en', birthDate: '1976-06-21', phone: '+15550100103', medications: [m('Atorvastatin', '20 mg', '21:00')] },
  { given: 'Robert', family: 'Johnson', language: 'en', birthDate: '1955-01-30', phone: '+15550100104', medications: [m('Metformin', '1000 mg', '08:00', '20:00'), m('Amlodipine', '5 mg', '08:00')] },
  { given: 'Lucía', family: 'Fernández', language: 'es', birthDate: '1983-09-09', phone: '+15550100105', medications: [m('Levothyroxine', '50 mcg', '07:00')] },
  { given: 'Emily', family: 'Nguyen', language: 'en', birthDate: '1991-12-17', phone: '+15550100106', medications: [m('Sertraline', '50 mg', '09:00')] },
  { given: 'David', family: 'Kim', language: 'en', birthDate: '1947-04-05', phone: '+15550100107', medications: [m('Warfarin', '5 mg', '18:00')] },
  { given: 'Sofia', family: 'Rossi', language: 'en', birthDate: '1988-08-12', phone: '+15550100108', medications: [m('Montelukast', '10 mg', '21:00')] },
  { given: 'Michael', family: 'Brown', language: 'en', birthDate: '1962-02-26', phone: '+15550100109', medications: [m('Metoprolol', '25 mg', '08:00', '20:00')] },
  { given: 'Grace', family: 'Okafor', language: 'en', birthDate: '1970-10-19', phone: '+15550100110', medications: [m('Losartan', '50 mg', '08:00')] },
  { given: 'Carlos', family: 'Ramírez', language: 'es', birthDate: '1966-05-23', phone: '+15550100111', medications: [m('Insulin glargine', '20 units', '22:00')] },
  { given: 'Hannah', family: 'Schmidt', language: 'en', birthDate: '1979-07-08', phone: '+15550100112', medications: [m('Omeprazole', '20 mg', '07:30')] },
  { given: 'William', family: 'Davis', language: 'en', birthDate: '1944-12-01', phone: '+15550100113', medications: [m('Apixaban', '5 mg', '08:00', '20:00')] },
  { given: 'Priya', family: 'Patel', language: 'en', birthDate: '1985-03-27', phone: '+15550100114', medications: [m('Hydrochlorothiazide', '25 mg', '08:00')] },
  { given: 'Ana', family: 'Silva', language: 'es', birthDate: '1973-11-11', phone: '+15550100115', medications: [m('Gabapentin', '300 mg', '08:00', '14:00', '20:00')] },
  { given: 'Thomas', family: 'Müller', language: 'en', birthDate: '1952-06-04', phone: '+15550100116', medications: [m('Simvastatin', '40 mg', '21:00')] },
  { given: 'Olivia', family: 'Martin', language: 'en', birthDate: '1995-01-15', phone: '+15550100117', medications: [m('Escitalopram', '10 mg', '09:00')] },
  { given: 'José', family: 'Torres', language: 'es', birthDate: '1960-08-30', phone: '+15550100118', medications: [m('Metformin', '850 mg', '08:00', '20:00'), m('Glipizide', '5 mg', '08:00')] },
  { given: 'Chloe', family: 'Wilson', language: 'en', birthDate: '1999-04-22', phone: '+15550100119', medications: [m('Prednisone', '10 mg', '08:00')] },
  { given: 'Daniel', family: 'Lee', language: 'en', birthDate: '1957-09-16', phone: '+15550100120', medications: [m('Tamsulosin', '0.4 mg', '21:00')] },
];
