/**
 * What keeps a matched phrase from being an emergency now: it is negated ("no chest pain"), far in
 * the past or over ("had a stroke in 2019", "went away on Friday"), a question about the condition
 * ("what are the signs of a stroke?"), a hypothetical, or a figure of speech ("dying to see you").
 * Each veto is deliberately narrow: a veto that fires wrongly hides an emergency.
 */

// Words that negate what follows within a few words; "no se", "not sure" and "no longer" do not.
const NEGATORS = new Set([
  'no', 'not', 'never', 'without', 'denies', 'deny', 'nor', 'neither', 'dont', 'doesnt', 'didnt', 'isnt', 'arent', 'wasnt',
  'havent', 'hasnt', 'hadnt', 'nunca', 'sin', 'ni', 'tampoco', 'ningun', 'ninguna', 'ninguno', 'nada', 'niega',
]);
const KNOW_WHAT = new Set(['que', 'si', 'como', 'cual', 'donde', 'cuando', 'quien', 'nada', 'bien', 'porque', 'por', '']);
const NOT_A_NEGATION = new Set(['sure', 'know', 'idea', 'one', 'longer', 'ok', 'okay', 'sabe', 'puedo', 'puede', 'pude', 'entiendo', 'matter', 'stop', 'para', 'deja', 'dejo']);
const NEGATION_WINDOW = 4;

/** True when a negator stands in the few words before the match, with no comma between. */
export function negatedBefore(clause: string, start: number, windowSize = NEGATION_WINDOW): boolean {
  const before = clause.slice(0, start).trim().split(' ').filter((w) => w !== '');
  const from = Math.max(0, before.length - windowSize);
  for (let i = before.length - 1; i >= from; i--) {
    const w = before[i] ?? '';
    if (w === ',' || w === '|') return false;
    if (!NEGATORS.has(w)) continue;
    const next = before[i + 1] ?? '';
    // "no sé qué…" (I don't know) folds to "no se que"; "no se está ahogando" stays a negation.
    if (next === 'se' && KNOW_WHAT.has(before[i + 2] ?? '')) continue;
    if (!NOT_A_NEGATION.has(next)) return true;
  }
  return false;
}

// The situation is over or long ago. "came back", "again", "volvio" undo it.
const OVER = [
  /\b(?:went away|gone away|go away|is gone|are gone|has gone|have gone|has passed|subsided|it passed|pain passed|has passed|used to|resolved|better now|recovered|fine now|ok now|okay now|all good now|stopped hurting|cleared up|eased off|no more)\b/,
  /\b(?:in|back in|since|during) (?:19|20)\d\d\b|\b(?:\d+|a|an|one|two|three|four|five|six|ten|few|couple of|couple|several|many) (?:years?|months?|decades?) ago\b|\b(?:years|months|decades) ago\b|\blast (?:year|month|summer|winter|spring|fall|autumn|decade)\b/,
  /\bwhen i was (?:a )?(?:kid|child|young|little|teen|teenager|baby|pregnant with)\b|\b(?:in my (?:teens|twenties|thirties|forties|fifties|youth)|got sober|sober for|clean for|history of|family history|runs in (?:my|the) family|died of|passed away from|died from|survivor|survived)\b/,
  /\b(?:se (?:me |le )(?:quito|paso|fue)|ya se (?:paso|quito|fue)|se (?:quito|fue) (?:el|la)\b|ya (?:paso|quito)|desaparecio|ya estoy bien|ya esta bien|ya no (?:me |le )?duele|ya (?:me |le )?siento mejor|mejor ahora|ya mejor|me recupere|se recupero|ya se recupero|ya esta en casa|ya salio del hospital)\b/,
  /\ben (?:el (?:ano )?)?(?:19|20)\d\d\b|\bhace (?:\w+ )?(?:anos|ano|meses|decadas)\b|\bde (?:chiquit[oa]|nin[oa]|pequen[oa]|bebe|joven|adolescente)\b|\bel (?:ano|mes|verano|invierno) pasado\b|\bcuando (?:era|estaba) (?:nino|nina|joven|pequeno|pequena|chico|chica|embarazada de)\b|\b(?:antecedentes de|historial de|murio de|fallecio de|sobrevivi\w*)\b/,
];
const NOT_OVER = /\b(?:came back|come back|coming back|back again|again|returned|worse|still|started again|volvio|regreso|otra vez|de nuevo|sigue|todavia|aun|peor)\b/;

export function isOver(clause: string): boolean {
  return OVER.some((r) => r.test(clause)) && !NOT_OVER.test(clause);
}

// Asking about a condition, or what to do should it happen, is not having it.
const ABOUT = [
  /\b(?:what (?:are|is|r) (?:the )?(?:signs?|symptoms?|warning signs?|causes?|risks?|difference)|signs? of|symptoms? of|warning signs?|what causes|risk of|risk factors?|prevent|preventing|prevention|information (?:about|on)|info (?:about|on)|learn (?:about|more)|leaflet|brochure|article|a class|course|first aid|cpr class|how common|statistics|what triggers|triggers for|que (?:provoca|desencadena)|film|movie|tv show|video game|pelicula|serie|videojuego|novela|episode|episodio|how long (?:should|does|can|do)|cuanto (?:tiene que|debe|puede) durar|cuanto dura)\b/,
  /\bhow (?:do|can|would|to|does|should) (?:i |you |we |one |someone |people )?(?:know|tell|recognize|recognise|spot|prevent|avoid|identify|treat|help|lower)\b/,
  /\bwhat (?:does|is|do) (?:a |an )?(?:\w+ ){0,2}(?:feel like|mean|look like)\b/,
  /\b(?:if (?:i|you|someone|somebody|he|she|they|my \w+) (?:ever|ever have|ever has|ever get|ever gets)|in case (?:of|i|someone|he|she)|what (?:should|do|would|can) (?:i|you|we) do (?:if|when)|what happens if|what if|should i (?:call|go) \w+ (?:if|when)|when (?:should|do) (?:i|you) (?:call|go|worry|seek))\b/,
  /\b(?:cuales son|que son) (?:los |las )?(?:sintomas|senales|signos|causas|riesgos)\b|\b(?:sintomas|senales|signos) de\b|\b(?:que causa|riesgo de|factores de riesgo|prevenir|prevencion|informacion (?:sobre|de)|folleto|articulo|curso de|primeros auxilios|clase de)\b/,
  /\bcomo (?:se )?(?:sabe|saber|se si|reconocer|reconozco|prevenir|evitar|identificar|tratar|ayudar|distinguir)\b|\bque se siente (?:un|una|cuando)\b/,
  /\b(?:si (?:alguna vez|algun dia|me llega a|le llega a)|en caso de|que (?:hago|debo hacer|hacer|hago yo|deberia hacer) (?:si|cuando)|que pasa si|cuando (?:debo|tengo que|hay que) (?:llamar|ir|preocuparme))\b/,
];

// Only as a question: "can the gas stove cause carbon monoxide poisoning?".
const ASKS_WHAT = /(?:^ |\| )(?:what is|whats|que es|que significa) (?:a |an |un |una |el |la )?(?:\w+ )?(?:stroke|seizure|heart attack|anaphylaxis|overdose|hypo|hypoglycemia|derrame|infarto|convulsion|ictus|embolia|anafilaxia|sobredosis|hipoglucemia)\b/;
const ASKS_CAUSE = /\b(?:can|could|does|do|will|puede|pueden|podria|da|causa)\b(?: \w+){0,5} (?:cause|causes|give|lead to|dar|causar|provocar|producir)\b/;

export function isAboutCondition(clause: string, question = false): boolean {
  return ABOUT.some((r) => r.test(clause)) || (question && (ASKS_CAUSE.test(clause) || ASKS_WHAT.test(clause)));
}

// Figures of speech that borrow emergency words; checked against the matched words only.
const FIGURATIVE = [
  /\b(?:dying (?:to|for|of laughter|laughing|of boredom|of embarrassment|inside)|to die for|killing it|killed it|kill(?:ing)? time|kill for|would die for|could die (?:of|for)|dead tired|dead battery|drop dead gorgeous)\b/,
  /\b(?:(?:going to|gonna|will) have a heart attack if|(?:going to|gonna) die if|gave me a heart attack|give me a heart attack|giving me a heart attack|nearly had a heart attack|almost had a heart attack|heart attack on a plate|breathtaking|took my breath away|take your breath away|bleeding money|bleeding cash|bleeding me dry|choking on (?:my|the) (?:words|tears)|choke on it|blow(?:ing)? up my phone|heart is racing (?:with|from) excitement)\b/,
  /\b(?:me muero (?:de|por)|me moria de|muert[oa] de (?:risa|hambre|sueno|cansancio|frio|calor|ganas|aburrimiento|miedo|verguenza)|casi me da un infarto|me va a dar un infarto|me dio un infarto (?:de|cuando vi|al ver)|me quito el aliento|te quita el aliento|me ahogo de calor|me ahogo en (?:trabajo|deudas|papeles)|ahogad[oa] en (?:trabajo|deudas))\b/,
];

const FIGURATIVE_ALL = FIGURATIVE.map((r) => new RegExp(r.source, 'g'));

export function figurativeSpans(clause: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const g of FIGURATIVE_ALL) {
    for (const m of clause.matchAll(g)) out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

// Laughter marks a joke ("i laughed so hard i couldn't breathe 😂"): people in danger do not laugh.
const JOKE = /\b(?:lol|lmao|lmfao|rofl|haha\w*|hehe\w*|jaja\w*|jeje\w*|jiji\w*|xd|laughed so hard|laughing so hard|me rei tanto|de la risa|de risa)\b/;

export function isJoke(clause: string): boolean {
  return JOKE.test(clause);
}
