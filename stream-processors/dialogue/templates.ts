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
  quiet_hours_set: {
    en: 'Understood: from now on {org} will not message you between {start} and {end}; reminders due then wait until {end}. Reply STOP if you want no messages at all.',
    es: 'Entendido: a partir de ahora {org} no le escribirá entre las {start} y las {end}; los recordatorios de ese horario esperarán hasta las {end}. Responda BAJA si no quiere ningún mensaje.',
  },
  opt_out_confirm: {
    en: 'Do you want to stop all messages from {org}, including medication reminders? Reply STOP to confirm. If you only want fewer messages or none at night, tell me when suits you.',
    es: '¿Quiere dejar de recibir todos los mensajes de {org}, también los recordatorios de medicación? Responda BAJA para confirmar. Si solo quiere menos mensajes o ninguno por la noche, dígame cuándo le viene bien.',
  },
  program_opt_out: {
    en: 'Done: you will get no more programme messages from {org}. Your medication reminders and this chat continue. Reply STOP if you want no messages at all.',
    es: 'Hecho: no recibirá más mensajes del programa de {org}. Sus recordatorios de medicación y este chat siguen. Responda BAJA si no quiere ningún mensaje.',
  },
  opt_in: { en: 'Welcome back! You will get messages from {org} again.', es: '¡Bienvenido de nuevo! Volverá a recibir mensajes de {org}.' },
  already_subscribed: { en: 'You are subscribed to messages from {org}. How can I help?', es: 'Está suscrito a los mensajes de {org}. ¿En qué puedo ayudarle?' },
  handoff: {
    en: 'I am connecting you with the care team at {org}. Someone will reply here soon.',
    es: 'Le estoy poniendo en contacto con el equipo de cuidado de {org}. Alguien le responderá aquí pronto.',
  },
  emergency: {
    en: 'This may be an emergency: call {emergency} now, or ask someone near you to call. Do not wait for a reply here. I have alerted your care team.',
    es: 'Esto puede ser una emergencia: llame al {emergency} ahora, o pida a alguien cercano que llame. No espere una respuesta aquí. He avisado a su equipo de cuidado.',
  },
  emergency_self_harm: {
    en: 'I am so sorry you are going through this, and I am glad you told me. Please call or text {crisis} now to talk with someone, day or night. If you are in danger right now, call {emergency}. I have let your care team know.',
    es: 'Siento mucho que esté pasando por esto y me alegra que me lo haya dicho. Llame o escriba al {crisis} ahora para hablar con alguien, de día o de noche. Si está en peligro ahora mismo, llame al {emergency}. He avisado a su equipo de cuidado.',
  },
  emergency_poisoning: {
    en: 'Call Poison Control at {poison} now. If the person is not awake, has trouble breathing or is having a seizure, call {emergency}. I have alerted your care team.',
    es: 'Llame a Toxicología al {poison} ahora. Si la persona no está despierta, le cuesta respirar o tiene convulsiones, llame al {emergency}. He avisado a su equipo de cuidado.',
  },
  dosing_prescription: {
    en: 'Your prescription for {medication} says: {instructions}. Please do not change how you take it without checking first: ask your pharmacist or care team{contact}. I have passed your question on.',
    es: 'Su receta de {medication} dice: {instructions}. No cambie cómo lo toma sin consultarlo antes: pregunte a su farmacéutico o a su equipo de cuidado{contact}. He pasado su pregunta.',
  },
  dosing_ask: {
    en: 'I cannot advise on changing a dose. Please ask your pharmacist or care team{contact}: they can tell you what is safe for you. I have passed your question on.',
    es: 'No puedo aconsejarle sobre cambiar una dosis. Pregunte a su farmacéutico o a su equipo de cuidado{contact}: le dirán qué es seguro para usted. He pasado su pregunta.',
  },
  workflow_problem: {
    en: 'Sorry, something went wrong on my side and I could not finish that. Please try again in a moment, or say "talk to someone" to reach the team at {org}.',
    es: 'Perdón, algo falló de mi lado y no pude terminar. Inténtelo de nuevo en un momento, o diga "hablar con alguien" para contactar al equipo de {org}.',
  },
  symptom: {
    en: 'I am sorry you are feeling that way. I have let your care team know. If it gets worse or you feel unsafe, call {emergency}.',
    es: 'Siento que se encuentre así. He avisado a su equipo de cuidado. Si empeora o no se siente seguro, llame al {emergency}.',
  },
  request_forwarded: {
    en: 'Thanks, I have passed your request about {request} to the team at {org}. You will hear back here.',
    es: 'Gracias, he enviado su solicitud sobre {request} al equipo de {org}. Recibirá la respuesta aquí.',
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
  dosing: { en: ['Talk to someone'], es: ['Hablar con alguien'] },
  opt_out_confirm: { en: ['STOP', 'Keep my messages'], es: ['BAJA', 'Seguir recibiendo'] },
  none: { en: [], es: [] },
};

/** What a forwarded request is about, in the patient's words (never the internal intent label). */
export const REQUEST_NAMES: Record<string, Record<Language, string>> = {
  refill_request: { en: 'your prescription refill', es: 'su receta' },
  pharmacy_pickup: { en: 'picking up your prescription', es: 'recoger su receta en la farmacia' },
  book_appointment: { en: 'a new appointment', es: 'una nueva cita' },
  cancel_appointment: { en: 'cancelling your appointment', es: 'cancelar su cita' },
  reschedule_appointment: { en: 'changing your appointment', es: 'cambiar su cita' },
  find_service: { en: 'finding a service', es: 'buscar un servicio' },
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
