/**
 * The service concepts a patient asks for, in English and Spanish, with the codes a FHIR directory
 * carries for them (SNOMED CT practice settings, HL7 service categories). One source for both the
 * query side and the directory side, so the two cannot drift apart.
 */
export interface ServiceConcept {
  id: string;
  /** How the reason line names it to the patient. */
  label: { en: string; es: string };
  /** "system|code" of HealthcareService.type/specialty/category that mean this concept. */
  codes: readonly string[];
  /** Accent-free, lower-case stems or phrases; the last word matches any word it starts (whole words only up to 3 letters). */
  en: readonly string[];
  es: readonly string[];
}

const SCT = 'http://snomed.info/sct';
const CAT = 'http://terminology.hl7.org/CodeSystem/service-category';

export const SERVICE_CONCEPTS: readonly ServiceConcept[] = [
  { id: 'cardiology', label: { en: 'cardiology', es: 'cardiología' }, codes: [`${SCT}|394579002`], en: ['cardio', 'heart', 'palpitation', 'ecg', 'ekg', 'blood pressure'], es: ['cardio', 'corazon', 'palpitacion', 'electrocardiograma', 'presion arterial', 'tension arterial'] },
  { id: 'dentistry', label: { en: 'dental care', es: 'odontología' }, codes: [`${SCT}|394812008`, `${CAT}|10`], en: ['dentist', 'dental', 'tooth', 'teeth', 'toothache', 'gum', 'gums', 'orthodont'], es: ['dentist', 'dental', 'diente', 'muela', 'encia', 'odontolog', 'ortodonc'] },
  { id: 'laboratory', label: { en: 'laboratory tests', es: 'análisis de laboratorio' }, codes: [`${SCT}|394915009`, `${CAT}|22`], en: ['laborator', 'lab', 'labs', 'blood test', 'blood work', 'bloodwork', 'urine test', 'sample', 'analysis'], es: ['laboratorio', 'analisis', 'analitica', 'prueba de sangre', 'examen de sangre', 'muestra', 'orina'] },
  { id: 'vaccination', label: { en: 'vaccinations', es: 'vacunación' }, codes: [`${SCT}|33879002`], en: ['vaccin', 'flu shot', 'shot', 'jab', 'immuni', 'booster'], es: ['vacun', 'inmuniz', 'refuerzo', 'gripe'] },
  { id: 'pharmacy', label: { en: 'pharmacy', es: 'farmacia' }, codes: [`${SCT}|394600006`, `${CAT}|31`], en: ['pharmac', 'chemist', 'drugstore', 'prescription'], es: ['farmacia', 'receta', 'medicamento', 'botica'] },
  { id: 'radiology', label: { en: 'imaging', es: 'radiología' }, codes: [`${SCT}|394914008`, `${CAT}|30`], en: ['x ray', 'xray', 'x-ray', 'radiolog', 'scan', 'mri', 'ultrasound', 'imaging', 'mammogra'], es: ['radiograf', 'rayos x', 'radiolog', 'resonancia', 'ecografia', 'escaner', 'mamografia', 'imagen'] },
  { id: 'general_practice', label: { en: 'general practice', es: 'medicina general' }, codes: [`${SCT}|394814009`, `${CAT}|17`], en: ['general practi', 'gp', 'family doctor', 'primary care', 'check up', 'checkup', 'family medicine'], es: ['medico de cabecera', 'medico general', 'medicina general', 'medicina familiar', 'atencion primaria', 'chequeo', 'revision general', 'medico de familia'] },
  { id: 'pediatrics', label: { en: 'children\'s care', es: 'pediatría' }, codes: [`${SCT}|394537008`], en: ['pediatric', 'paediatric', 'child', 'kid', 'kids', 'baby', 'son', 'daughter', 'infant'], es: ['pediatr', 'nino', 'nina', 'hijo', 'hija', 'bebe', 'infantil'] },
  { id: 'gynecology', label: { en: 'women\'s health', es: 'ginecología' }, codes: [`${SCT}|394586005`, `${SCT}|394585009`], en: ['gynecolog', 'gynaecolog', 'gyno', 'obstetric', 'pregnan', 'prenatal', 'pap smear', 'women s health', 'midwife'], es: ['ginecolog', 'obstetric', 'embaraz', 'prenatal', 'citologia', 'matrona', 'salud de la mujer'] },
  { id: 'dermatology', label: { en: 'skin care', es: 'dermatología' }, codes: [`${SCT}|394582007`], en: ['dermatolog', 'skin', 'rash', 'mole', 'acne', 'eczema'], es: ['dermatolog', 'piel', 'sarpullido', 'lunar', 'acne', 'eccema', 'erupcion'] },
  { id: 'ophthalmology', label: { en: 'eye care', es: 'oftalmología' }, codes: [`${SCT}|394594003`], en: ['ophthalm', 'eye', 'eyes', 'vision', 'optician', 'optometr', 'glasses'], es: ['oftalmolog', 'ojo', 'ojos', 'vista', 'vision', 'optic', 'optometr', 'gafas', 'lentes'] },
  { id: 'mental_health', label: { en: 'mental health', es: 'salud mental' }, codes: [`${SCT}|394587001`], en: ['psychiatr', 'psycholog', 'mental health', 'therapist', 'counsel', 'anxiety', 'depression'], es: ['psiquiatr', 'psicolog', 'salud mental', 'terapeuta', 'ansiedad', 'depresion'] },
  { id: 'physiotherapy', label: { en: 'physiotherapy', es: 'fisioterapia' }, codes: [`${SCT}|722138006`], en: ['physio', 'physical therap', 'rehab', 'back pain'], es: ['fisio', 'rehabilit', 'dolor de espalda'] },
  { id: 'orthopedics', label: { en: 'bones and joints', es: 'traumatología' }, codes: [`${SCT}|394801008`], en: ['orthop', 'bone', 'bones', 'fracture', 'joint', 'knee', 'hip', 'hips'], es: ['traumatolog', 'ortoped', 'hueso', 'fractura', 'articulacion', 'rodilla', 'cadera'] },
  { id: 'nutrition', label: { en: 'nutrition', es: 'nutrición' }, codes: [`${SCT}|722164000`], en: ['nutrition', 'dietit', 'dietic', 'diet', 'weight loss'], es: ['nutricion', 'dietist', 'dieta', 'perder peso', 'endocrino'] },
  { id: 'podiatry', label: { en: 'foot care', es: 'podología' }, codes: [`${SCT}|394607009`], en: ['podiatr', 'foot', 'feet', 'chiropod'], es: ['podolog', 'pie', 'pies'] },
];

export function conceptById(id: string): ServiceConcept | undefined {
  return SERVICE_CONCEPTS.find((c) => c.id === id);
}
