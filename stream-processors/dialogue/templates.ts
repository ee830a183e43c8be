import type { Language } from './types.js';

/** Built-in wording, in every language the default workflow speaks. {name} fills from variables. */
export const TEMPLATES: Record<string, Record<Language, string>> = {
  greeting: {
    en: 'Hi! I am the care assistant of {org}. I can confirm your doses, remind you later, help with refills and appointments, or connect you with the care team.',
    es: '¡Hola! Soy el asistente de cuidado de {org}. Puedo registrar sus dosis, recordarle más tarde, ayudarle con recetas y citas, o ponerle en contacto con el equipo de cuidado.',
  },
  help: {
    en: 'You can tell me "I took my medication", "remind me in an hour", "I need a refill", "book an appointment" or "talk to someone". Reply STOP to stop messages.',
    es: 'Puede decirme "ya tomé mi medicamento", "recuérdame en una hora", "necesito una receta", "quiero una cita" o "hablar con alguien". Responda PARAR para dejar de recibir mensajes.',
  },
  thanks: { en: 'You are welcome! I am here whenever you need me.', es: '¡De nada! Aquí estoy cuando me necesite.' },
  medication_taken: {
    en: 'Great, I have recorded your {medications}. Keep it up!',
    es: 'Muy bien, he registrado su {medications}. ¡Siga así!',
  },
  medication_taken_none: {
    en: 'Thanks, I have noted that you took your medication.',
    es: 'Gracias, he anotado que tomó su medicamento.',
  },
  medication_skipped: {
    en: 'Thanks for telling me. I have noted that you skipped your {medications}. Is something making it hard to take?',
    es: 'Gracias por avisarme. He anotado que no tomó su {medications}. ¿Hay algo que le dificulte tomarlo?',
  },
  snooze_reminder: { en: 'OK, I will remind you again at {time}.', es: 'De acuerdo, le recordaré de nuevo a las {time}.' },
  opt_out: {
    en: 'You are unsubscribed and will not get more messages from {org}. Reply START to subscribe again.',
    es: 'Se ha dado de baja y no recibirá más mensajes de {org}. Responda ALTA para volver a suscribirse.',
  },
  opt_in: { en: 'Welcome back! You will get messages from {org} again.', es: '¡Bienvenido de nuevo! Volverá a recibir mensajes de {org}.' },
  already_subscribed: { en: 'You are subscribed to messages from {org}. How can I help?', es: 'Está suscrito a los mensajes de {org}. ¿En qué puedo ayudarle?' },
  handoff: {
    en: 'I am connecting you with the care team at {org}. Someone will reply here soon.',
    es: 'Le estoy poniendo en contacto con el equipo de cuidado de {org}. Alguien le responderá aquí pronto.',
  },
  emergency: {
    en: 'If this is an emergency, call {emergency} now. I have alerted your care team.',
    es: 'Si es una emergencia, llame al {emergency} ahora. He avisado a su equipo de cuidado.',
  },
  symptom: {
    en: 'I am sorry you are feeling that way. I have let your care team know. If it gets worse or you feel unsafe, call {emergency}.',
    es: 'Siento que se encuentre así. He avisado a su equipo de cuidado. Si empeora o no se siente seguro, llame al {emergency}.',
  },
  request_forwarded: {
    en: 'Thanks, I have passed your request ({request}) to the team at {org}. You will hear back here.',
    es: 'Gracias, he enviado su solicitud ({request}) al equipo de {org}. Recibirá la respuesta aquí.',
  },
  verified: { en: 'Thanks, you are already verified on this chat.', es: 'Gracias, ya está verificado en este chat.' },
  fallback: {
    en: 'Sorry, I did not get that. You can say "I took my medication", "remind me later" or "talk to someone".',
    es: 'Perdón, no le entendí. Puede decir "ya tomé mi medicamento", "recuérdame más tarde" o "hablar con alguien".',
  },
};

export const QUICK_REPLIES: Record<string, Record<Language, string[]>> = {
  menu: { en: ['I took my medication', 'Remind me later', 'Talk to someone'], es: ['Ya tomé mi medicamento', 'Recuérdame más tarde', 'Hablar con alguien'] },
  skipped: { en: ['Side effects', 'I forgot', 'Talk to someone'], es: ['Efectos secundarios', 'Se me olvidó', 'Hablar con alguien'] },
  none: { en: [], es: [] },
};

export const REQUEST_NAMES: Record<string, Record<Language, string>> = {
  refill_request: { en: 'refill', es: 'receta' },
  pharmacy_pickup: { en: 'pharmacy pickup', es: 'recogida en farmacia' },
  book_appointment: { en: 'new appointment', es: 'nueva cita' },
  cancel_appointment: { en: 'cancel appointment', es: 'cancelar cita' },
  reschedule_appointment: { en: 'change appointment', es: 'cambiar cita' },
  find_service: { en: 'find a service', es: 'buscar un servicio' },
};

export function render(templateId: string, lang: Language, vars: Record<string, string>): string {
  const t = TEMPLATES[templateId]?.[lang] ?? TEMPLATES[templateId]?.en;
  if (t === undefined) throw new Error(`unknown template ${templateId}`);
  return t.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? `{${k}}`);
}

/** "Metformin 500 mg and Lisinopril 10 mg" / "Metformina 500 mg y Lisinopril 10 mg". */
export function listMedications(names: readonly string[], lang: Language): string {
  if (names.length <= 1) return names[0] ?? '';
  const and = lang === 'es' ? ' y ' : ' and ';
  return `${names.slice(0, -1).join(', ')}${and}${names[names.length - 1] ?? ''}`;
}
