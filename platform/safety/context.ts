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
const NOT_A_NEGATION = new Set(['sure', 'know', 'idea', 'one', 'longer', 'ok', 'okay', 'sabe', 'puedo', 'puede', 'pude', 'entiendo', 'matter', 'stop', 'para', 'deja', 'dejo', 'wait', 'aguanto', 'aguanta', 'soporto', 'soporta', 'resisto', 'bear', 'stand']);
const NEGATION_WINDOW = 4;
// "no me reconoce y dice cosas sin sentido": a negator whose own phrase is a symptom (not recognising,
// not answering) denies nothing after it.
// "no me reconoce y dice…", "no habla bien y se le cae la baba": a negator whose own phrase is a symptom
// (not recognising, not answering, not talking right), closed by "y"/"and", denies nothing after it.
const NEGATED_SYMPTOM = new Set(['reconoce', 'reconocio', 'responde', 'contesta', 'reacciona', 'despierta', 'respira', 'recognize', 'recognise', 'recognizes', 'recognises', 'respond', 'responding', 'answer', 'answering', 'waking',
  'habla', 'hablaba', 'camina', 'mueve', 'movia', 'entiende', 'talking', 'walking', 'moving', 'making', 'understand', 'puedo', 'puede', 'pude', 'podia', 'parar']);
// "isnt working and i cant breathe", "no se me quita el dolor": nor does a remedy that fails or a symptom that will not stop.
const UNRELENTING = new Set(['quita', 'quitaba', 'quitting', 'stopping', 'letting', 'easing', 'improving', 'mejora', 'working', 'funciona', 'sirve', 'helping', 'ayuda', 'calma']);
// Words a denial carries before what it denies ("not having any thoughts of hurting myself", "havent had any
// bleeding"): left out when counting how far a negator reaches.
const FILLERS = /(?<= )(?:(?:thoughts?|ideas?|urges?|pensamientos?) (?:of|about|de|en)|any|ever|had|have|having|been|tenido|ningun|ninguna)(?= )/g;
function withoutFillers(text: string): string {
  return ` ${text} `.replace(FILLERS, '').replace(/ +/g, ' ');
}

/** True when a negator stands in the few words before the match, with no comma between. */
export function negatedBefore(clause: string, start: number, windowSize = NEGATION_WINDOW): boolean {
  const before = withoutFillers(clause.slice(0, start)).trim().split(' ').filter((w) => w !== '');
  const from = Math.max(0, before.length - windowSize);
  for (let i = before.length - 1; i >= from; i--) {
    const w = before[i] ?? '';
    if (w === ',' || w === '|') return false;
    if (!NEGATORS.has(w)) continue;
    const next = before[i + 1] ?? '';
    // "no sé qué…" (I don't know) folds to "no se que"; "no se está ahogando" stays a negation.
    if (next === 'se' && KNOW_WHAT.has(before[i + 2] ?? '')) continue;
    const after = before.slice(i + 1);
    if (after.some((x) => UNRELENTING.has(x))) continue;
    const symptom = after.findIndex((x) => NEGATED_SYMPTOM.has(x));
    if (symptom >= 0 && after.slice(symptom + 1).some((x) => x === 'y' || x === 'and')) continue;
    if (!NOT_A_NEGATION.has(next)) return true;
  }
  return false;
}

// The situation is over or long ago. "came back", "again", "volvio" undo it.
const OVER = [
  /\b(?:went away|gone away|(?<!(?:wont|doesnt|didnt|not|never|cant|wouldnt|isnt|dont|no) )go away|(?:pain|ache|it|swelling|bleeding|symptoms?|rash|hives|numbness|dizziness) (?:is|are|has|have) gone|has passed|subsided|it passed|pain passed|has passed|used to|resolved|better now|doing (?:well|great|fine|better) now|recovered|fine now|ok now|okay now|all good now|stopped hurting|cleared up|eased off|no more|none since|nothing since|not (?:one |another )?since|no (?:more|others?|other ones?) since|ninguna desde entonces|ninguno desde entonces|nada desde entonces|no (?:le|me|les) ha vuelto a (?:dar|pasar))\b/,
  /\b(?:in|back in|since|during) (?:19|20)\d\d\b|\b(?:\d+|a|an|one|two|three|four|five|six|ten|few|couple of|couple|several|many) (?:years?|months?|decades?) ago\b|\b(?:years|months|decades) ago\b|\b\d+ ?(?:yrs?|years?|mos|months?) ago\b|\bwhen (?:i|he|she|we|they) (?:was|were) (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|in (?:high school|college|school)|(?:a )?(?:kid|child|teen|teenager|toddler|baby|little|young|younger)|kids|teens|teenagers)\b|\bin (?:college|high school|uni|university)\b|\b(?:in|back in|during|last|early|late) (?:january|february|march|april|may|june|july|august|september|october|november|december)\b|\ben (?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)\b|\b\d+ ?(?:weeks?|wks) ago\b|\b(?<!since )last week\b|\bwith (?:our|their|his) (?:first|last|second|other)\b|\bas a (?:kid|child|baby|teen|teenager|toddler)\b|\bwith (?:my|her) (?:first|last|second|other)(?: (?:one|baby|child|pregnancy|kid))?\b|\blast (?:year|month|summer|winter|spring|fall|autumn|decade)\b/,
  /\bwhen i was (?:a )?(?:kid|child|young|little|teen|teenager|baby|pregnant with)\b|\b(?:in (?:my|his|her|their) (?:teens|twenties|thirties|forties|fifties|youth|[1-9]0s)|when i was pregnant|since (?:her|his|my|the) (?:\w+ )?(?:surgery|operation|fall|accident|stroke|injury|fracture|replacement)|desde (?:la|su|mi|el) (?:\w+ )?(?:operacion|cirugia|caida|accidente|fractura|derrame|embolia)|got sober|sober for|clean for|history of|family history|runs in (?:my|the) family|died of|passed away from|died from|survivor|survived)\b/,
  /\b(?:se (?:me |le )(?:quito|paso|fue)|ya se (?:paso|quito|fue)|se (?:quito|fue) (?:el|la)\b|ya (?:paso|quito)|desaparecio|ya estoy bien|ya esta bien|ya no (?:me |le )?duele|ya (?:me |le )?siento mejor|mejor ahora|ya mejor|me recupere|se recupero|ya se recupero|ya esta en casa|ya salio del hospital)\b/,
  /\ben (?:el (?:ano )?)?(?:19|20)\d\d\b|\bhace (?:\w+ ){0,3}(?:anos|ano|meses|decadas)\b|\bde (?:chiquit[oa]|nin[oa]|pequen[oa]|bebe|joven|adolescente)\b|\b(?:el|del) (?:ano|mes|verano|invierno) pasado\b|\ba los \d\d(?! (?:min|seg|hora|dia|semana|mes))(?: anos)?\b|\b(?:el|del) (?:lunes|martes|miercoles|jueves|viernes|sabado|domingo) pasado\b|\b(?:from|on) last (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|month)\b|\b(?<!desde )la semana pasada\b|\bde la otra semana\b|\bthe other (?:week|day)\b|\b(?:embarazo|parto) (?:pasado|anterior)\b|\bcon (?:el|la) (?:primer[oa]|segund[oa]|ultim[oa])\b|\ben la (?:universidad|prepa|secundaria|facultad)\b|\bcon (?:mi|su) (?:primer|primera|segundo|otro|ultimo)(?: (?:bebe|hijo|hija|embarazo|parto))?\b|\ben (?:el|mi|su) (?:primer|segundo|otro|ultimo) (?:embarazo|parto)\b|\bde (?:nina|nino) tuve\b|\bcuando (?:era|eran|estaba|estaban) (?:un |una |muy |mas )?(?:nino|nina|joven|pequeno|pequena|chico|chica|bebe|bebita|bebito|chiquit[oa]|nene|nena|adolescente|jovencit[oa]|embarazada de)\b|\buna vez (?!que )(?:me|se|le|nos|les|tuve|tuvo|tuvimos)\b|\bcuando (?:tenia|tenias|tuvo|tuve) (?:\d+|un|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez) (?:anos?|meses)\b|\b(?:antecedentes de|historial de|murio de|fallecio de|sobrevivi\w*)\b/,
];
const NOT_OVER = /\b(?:(?<!(?:hasnt|havent|hadnt|didnt|never|not|wont|no|nunca) )(?:came back|come back|coming back)(?! (?:normal|negative|clear|fine|ok|okay|good|home|to work|to school))|back again|(?:happening|started|starting|its|it is|is|came|going|having|hurts|bleeding|doing it|at it) again|returned|worse|still(?! (?:need|have to|go|take|do|get|should|want|come|schedule|book|use|laugh\w*|jok\w*|talk\w*|teas\w*|remember|think about|bring it up|tell the story|love|miss|work|works|working|live|lives|living|enjoy\w*)\b|(?: \w+){1,5} (?:well|properly|like before|fully|all the way)\b)|started again|(?<!(?:nunca mas|nunca|no) (?:le |me |se |les |nos )?)volvio(?! a (?:trabajar|casa|la escuela|el trabajo|su casa|caminar|comer|la normalidad|clases|manejar))|no volvio en si|regreso(?! (?:a|al) (?:trabajo|trabajar|casa|escuela|la escuela|clases))|otra vez|de nuevo|sigue|todavia|aun|peor|want to be with (?:her|him|them)|quiero estar con (?:ella|el))\b/;

// The first and fourth patterns tell it ended ("went away", "ya se me pasó"); the others, when it happened.
// A part that is only "fine" / "ya bien" ("…, went down the wrong pipe, fine now").
const FINE_PART = /^ ?(?:(?:and |but |y |pero )?(?:im |hes |shes |its |were |all |ya |todo |estoy |esta |ya estoy |ya esta )?(?:fine|ok|okay|good|better|alright|all good|bien|mejor)(?: now| ahora)?) ?$/;
const ENDED = [OVER[0], OVER[3]].filter((r): r is RegExp => r !== undefined);
// A part that is only a time long ago ("una vez me desmayé en una boda, hace mil años"): it dates what came before it.
const TIME_ONLY = /^ ?(?:(?:y |and |but |pero |como |like |about |unos |around )?(?:hace (?:\w+ ){0,2}(?:anos|ano|meses|decadas)|(?:\w+ ){0,2}(?:years|months|decades) ago|(?:back )?in (?:19|20)\d\d|en (?:el )?(?:ano )?(?:19|20)\d\d)(?: (?:ya|already|now|or so|o algo asi|mas o menos|o mas|or more))?) ?$/;

/**
 * Whether the phrase ending at `pos` in the clause is over: a time marker in its own comma-separated
 * part or an earlier one ("back in 2019, I had a stroke"), or an ending told after it ("…, fine now").
 * A time marker after it belongs to something else ("chest burning, she had a stent put in last year").
 */
export function overAt(clause: string, pos: number): boolean {
  if (NOT_OVER.test(clause)) return false;
  let start = 0;
  for (const part of clause.split(' , ')) {
    const end = start + part.length;
    if (start <= pos && OVER.some((r) => r.test(part))) return true;
    // "choked on a cracker and was totally fine after": an ending told later in the same part.
    if (start <= pos && pos <= end && RESOLVED_LATER.test(part.slice(pos - start))) return true;
    if (start > pos && (ENDED.some((r) => r.test(part)) || RESOLVED_LATER.test(part) || FINE_PART.test(part) || TIME_ONLY.test(part))) return true;
    start = end + 3;
  }
  return false;
}

export function isOver(clause: string): boolean {
  return OVER.some((r) => r.test(clause)) && !NOT_OVER.test(clause);
}

// Asking about a condition, or what to do should it happen, is not having it.
const ABOUT = [
  /^ (?:can|could) (?:a|an) (?:\w+ ){1,3}(?:feel|look|seem) like\b|\b(?:se puede sentir|puede sentirse|se puede confundir) (?:como|con)\b/,
  /\b(?:how much \w+ is too much|cuant[oa] \w+ es demasiad[oa]|si hay (?:un|una) \w+|what(?:s| is) the difference|difference between|(?:que )?diferencia (?:hay )?entre|how (?:do|does|should|can) (?:you|i|one|we) use|como se (?:usa|pone|aplica|guarda)|como (?:usar|uso) (?:la|el)|where (?:should|do|can) (?:i|we|you) (?:keep|store|put)|(?:be|is) kept|donde (?:se )?(?:guarda|guardo|debo guardar)|sirve para|sirven para|will it happen again|happen again|(?:me |le )?puede (?:volver a )?pasar otra vez|volver a pasar|when can (?:he|she|i|they) (?:drive|fly|swim|work|go back)|cuando (?:puede|puedo) (?:manejar|volver)|should i tell|debo decirle|in my (?:records|chart|file)|en mi (?:expediente|historial))\b/,
  /^ (?:can|could|does|do|will|puede|pueden|podria) [^|]*\b(?:make (?:you|someone|people|me)|cause|give you|dar|da|causa|provoca)\b/,
  /\b(?:what (?:are|is|r) (?:the )?(?:signs?|symptoms?|warning signs?|causes?|risks?|difference)|signs? of|symptoms? of|warning signs?|what causes|risk of|risk factors?|prevent|preventing|prevention|information (?:about|on)|info (?:about|on)|learn (?:about|more)|leaflet|brochure|article|a class|course|first aid|cpr class|how common|statistics|what triggers|triggers for|que (?:provoca|desencadena)|film|movie|tv show|documentary|documental|podcast|campana|campaign|lo vi en|i saw (?:it|that|this) (?:on|in)|reading about|leyendo sobre|noticias?|the news|video game|pelicula|serie|videojuego|novela|episode|episodio|how long (?:should|does|can|do)|cuanto (?:tiene que|debe|puede) durar|cuanto dura)\b/,
  /\bhow (?:do|can|would|to|does|should) (?:i |you |we |one |someone |people )?(?:know|tell|recognize|recognise|spot|prevent|avoid|identify|treat|help|lower)\b/,
  /^ (?:por que|porque|why) (?:\w+ ){0,3}(?:en|con|in|with|during|durante) (?:los |las |a |an |un |una )?(?:derrames?|infartos?|strokes?|heart attacks?|convulsiones|seizures|embarazos?|pregnancy|pregnancies|diabeticos|diabetics|ataques)\b/,
  /\b(?:es peligroso|es malo|es seguro|se puede|se pueden|is it (?:dangerous|safe|bad|ok|okay)(?: to)?|can you|should you) (?:mezclar|combinar|mix|combine)\b/,
  // "how low can blood sugar go before you pass out", "a cuánto tiene que bajar el azúcar para desmayarse".
  /\bhow (?:low|high) (?:can|could|does|do|should|would|is|has to|must)\b|\ba cuanto (?:tiene que|debe|puede|tendria que|necesita|hay que) (?:bajar|subir|llegar)\b|\bque tan (?:baj[oa]|alt[oa]) (?:puede|debe|tiene que)\b|\bcomo (?:se|saber|puedo saber) cuando\b/,
  /\bwhat (?:does|is|do) (?:a |an )?(?:\w+ ){0,2}(?:feel like|mean|look like)\b/,
  /\b(?:if (?:i|you|someone|somebody|he|she|they|my \w+) (?:ever|ever have|ever has|ever get|ever gets)|in case (?:of|i|someone|he|she)|what (?:should|do|would|can) (?:i|you|we) do (?:if|when)|what happens if|what if|should i (?:call|go) \w+ (?:if|when)|when (?:should|do) (?:i|you) (?:call|go|worry|seek))\b/,
  /\b(?:cuales son|que son) (?:los |las )?(?:sintomas|senales|signos|causas|riesgos)\b|\b(?:sintomas|senales|signos) de\b|\b(?:que causa|riesgo de|factores de riesgo|prevenir|prevencion|informacion (?:sobre|de)|folleto|articulo|curso de|primeros auxilios|clase de)\b/,
  /\b(?:differs? from|hypothetically|hipoteticamente|what are the (?:odds|chances)|(?:que|cuantas) probabilidades|how (?:fast|soon|quickly) do (?:you|i|we) (?:need|have) to|what would (?:\w+ ){0,4}feel like|que se siente (?:con|tener)|how (?:do|can|should) i (?:talk|speak) to|como (?:le )?(?:hablo|hablar|puedo hablar) con|if (?:im|i am) worried|si creo que|(?:watching|viendo) (?:\w+ ){0,3}(?:and|y) (?:someone|somebody|alguien|un personaje)|saw a video|vi un video|in a video|en un video|read it somewhere|lo lei|ever be (?:a|an|the|from)|(?:mri|ct|scan|report|results?|resonancia|tomografia|informe|resultados?) (?:\w+ )?(?:says|shows|showed|mentions|menciona|dice|muestra|mostro)|(?:hierro|iron|bismuto|bismuth|pepto) (?:\w+ ){0,5}(?:heces|popo|caca|stools?|poop))\b/,
  /\b(?:has|gets|tiene|le dan) (?:\w+ )?(?:seizures|convulsiones|fits|ataques) (?:sometimes|a veces|de vez en cuando|occasionally)\b|\bhow long is an? \w+ before|\bbefore (?:its|it is|it becomes) an emergency|\bcuanto tiempo de \w+ (?:ya )?es\b|\bya es (?:una )?emergencia\b/,
  /\b(?<!como )si (?:\w+ ){0,4}(?:tuviera|tuviese|le diera|le diese|le pasara|se cayera|se desmayara|se ahogara|se atragantara|tragara|se tragara)\b/,
  /^ (?:can|could|do|does) (?:diabetics|women|men|people|someone|a person|kids|children|teens|babies)\b|\b(?:una?|los|las) (?:diabetic[oa]s?|mujer(?:es)?|personas?|nin[oa]s|bebes) (?:puede|pueden)\b/,
  /\bcomo (?:se )?(?:sabe|saber|se si|reconocer|reconozco|prevenir|evitar|identificar|tratar|ayudar|distinguir|distingue|diferencia)\b|\bque se siente (?:un|una|cuando)\b/,
  /\b(?:si (?:alguna vez|algun dia|me llega a|le llega a)|en caso de|que (?:hago|debo hacer|hacer|hago yo|deberia hacer) (?:si|cuando)|que pasa si|cuando (?:debo|tengo que|hay que) (?:llamar|ir|preocuparme))\b/,
];

// Only as a question: "can the gas stove cause carbon monoxide poisoning?".
const ASKS_WHAT = /(?:^ |\| )(?:what is|whats|que es|que significa) (?:a |an |un |una |el |la )?(?:\w+ )?(?:stroke|seizure|heart attack|anaphylaxis|overdose|hypo|hypoglycemia|derrame|infarto|convulsion|ictus|embolia|anafilaxia|sobredosis|hipoglucemia)\b/;
const ASKS_EFFECT = /\b(?:da|dan|causa|causan|provoca|provocan|produce|makes? (?:you|me|people|someone)|causes?)\b/;
const ASKS_CAUSE = /\b(?:can|could|does|do|will|puede|pueden|podria|da|causa)\b(?: \w+){0,5} (?:cause|causes|give|lead to|dar|causar|provocar|producir)\b/;

// "puede el dolor de mandíbula ser del corazón?": whether a symptom in general could mean a condition.
const ASKS_BE = /^ (?:puede|podria|can|could) (?:el|la|un|una|a|an) (?:\w+ ){1,4}(?:ser|be) (?:del|de la|de|un|una|a|an|from)\b/;

export function isAboutCondition(clause: string, question = false): boolean {
  return ABOUT.some((r) => r.test(clause)) || (question && (ASKS_CAUSE.test(clause) || ASKS_EFFECT.test(clause) || ASKS_WHAT.test(clause) || ASKS_BE.test(clause)));
}

// Figures of speech that borrow emergency words; checked against the matched words only.
const FIGURATIVE = [
  /\b(?:(?:nearly|almost) (?:had|have|having) (?:a |an )?(?:stroke|heart attack|seizure|coronary|aneurysm|fit|cow)|(?:going to|gonna|will|about to) give (?:me|him|her|us|you) (?:a |an )?(?:stroke|heart attack|seizure|aneurysm|coronary|fit)|(?:casi|por poco) (?:me|le|nos) (?:da|dio|daba) (?:un|una) (?:derrame|infarto|ataque|convulsion|soponcio|patatus)|(?:me|le|nos) va a dar (?:un|una) (?:derrame|infarto|ataque|convulsion)(?= (?:si|con|de|cuando)|.*\b(?:jaja\w*|lol)\b)|(?:drowning|suffocating|choking|buried) (?:in|under|with) (?:all )?(?:this |these |the |my )?(?:\w+ )?(?:paperwork|papers|work|debt|bills|emails|forms|laundry|homework)|(?:ahogando|ahogada|ahogado|ahogo) en (?:\w+ )?(?:papeles|papeleo|trabajo|deudas|cuentas|tramites|correos|formularios)|(?:heat|humidity|weather|this place|this job|calor|humedad|ambiente|este trabajo) (?:is |es |esta )?(?:so |muy |tan )?(?:suffocating|stifling|asfixiante|sofocante)|(?:im|i am|hes|shes) (?:going to|gonna) die if|one more \w+(?: \w+)? (?:and )?(?:ill|i will|im going to|im gonna|gonna|i swear ill) kill myself|(?:if i have to|if i see|one more) .{0,40}(?:going to|gonna) die|give me (?:\w+ ){0,4}(?:and )?(?:a )?heart attack|heart stopped when|(?:matar|matan|mata|van a matar) de un (?:infarto|susto|coraje|disgusto)|if (?:my|the|this|that|one more|he|she|they|you|i have to|i see)\b.{0,60}\b(?:ill|i will|im going to|im gonna|i would|id|i swear ill) (?:have|get) (?:a |an )?(?:heart attack|stroke|seizure|aneurysm)|\bsi (?:mi|mis|el|la|los|las|esto|eso|otra|otro|me vuelve|me vuelven|vuelve|vuelven|veo|oigo|escucho|tengo que|me toca|alguien|uno)\b.{0,60}\b(?:me da|me va a dar|me dara|me dan) (?:un|una) (?:infarto|derrame|ataque|convulsion|soponcio|patatus)|(?:waiting|wait|suspense|stress|anxiety|uncertainty|not knowing|deadline|paperwork|debt|traffic) (?:is|are|was) (?:choking|suffocating|strangling|drowning) (?:me|us)|(?:la espera|el estres|la ansiedad|la incertidumbre|las deudas|el papeleo|el trafico) (?:me |nos )?(?:esta |estan )?(?:ahogando|asfixiando)|(?:un calor|tanto calor|el calor|este calor|this heat|so hot)\b.{0,30}\b(?:asfixiad[oa]|ahogad[oa]|suffocating)|se me paro el corazon cuando|me voy a morir (?:si|de|esperando)|me muero si|(?:va a dar|dar) (?:un|una) (?:derrame|infarto|ataque) (?:tratando|con|viendo|al ver|leyendo)|(?:laptop|computer|phone|pc|compu|computadora|celular|telefono|printer|impresora|tv|tele|wifi|internet|app|carro|coche)\b(?: [\w,]+){0,8} (?:had a seizure|le dio un ataque|is dying|se murio|died)|(?:me|le|nos) dio (?:un|una) (?:soponcio|patatus|infarto|derrame|ataque) (?:de|al|cuando) (?:ver|vi|oir|escuchar|leer)|(?:bleed\w*|sangr\w*) (?:a (?:little|bit|tiny bit)|un poquito|un poco|poquito)|(?:light|slight|a little|tiny|un poquito de|poquito de|leve) (?:spotting|bleeding|sangrado|manchado)|faints? at the sight|(?:a (?:little|bit|tiny bit)|slightly|un poquito|un poco|poquito) (?:swollen|puffy|hinchad[oa]s?)|(?:copagos?|precios?|cuentas|impuestos|bancos?|seguro|aseguranza|copays?|bills|prices) (?:\w+ ){0,3}(?:me |nos )?(?:estan |esta )?desangr\w*|chok(?:ing|ed?) under pressure|(?:traffic|work|job|class|exams?|homework|boss|kids|this|that|he|she|you|they|it|everything|trafico|trabajo|jefe|examen) (?:\w+ )?(?:is |are )?giv(?:ing|es) me (?:a |an )(?:stroke|seizure|heart attack|aneurysm)|se desmaya (?:al|cuando) ve\w*)\b/,
  /\b(?:(?:me|le|nos|te) (?:corto|cortaron|corta|cortan) las alas|(?:is|are|its) drowning (?:me|us)|choking hazards?|se (?:me|le|nos) (?:murio|apago) (?:el|la|mi) (?:celular|cel|telefono|bateria|compu|computadora|laptop|tele|carro|coche)|dying (?:to|for|of laughter|laughing|of boredom|of embarrassment|inside)|to die for|killing it|killed it|kill(?:ing)? time|kill for|would die for|could die (?:of|for)|dead tired|dead battery|drop dead gorgeous)\b/,
  /\b(?:(?:going to|gonna|will) have a heart attack if|(?:going to|gonna) die if|gave me a heart attack|give me a heart attack|giving me a heart attack|nearly had a heart attack|almost had a heart attack|heart attack on a plate|breathtaking|took my breath away|take your breath away|bleeding money|bleeding cash|bleeding me dry|choking on (?:my|the) (?:words|tears)|choke on it|blow(?:ing)? up my phone|heart is racing (?:with|from) excitement)\b/,
  /\b(?:me muero (?:de|por)|me moria de|muert[oa] de (?:risa|hambre|sueno|cansancio|frio|calor|ganas|aburrimiento|miedo|verguenza)|casi me da un infarto|me va a dar un infarto|me dio un infarto (?:de|cuando vi|al ver)|me quito el aliento|te quita el aliento|(?:partido|juego|pelicula|noticia|vista|paisaje|concierto|show|beso|examen|final|gol|sorpresa|precio|cuenta|factura) (?:\w+ ){0,2}(?:me|nos|te|la|lo|le) (?:dejo|deja|dejaron|dejan) sin (?:aire|aliento)|(?:view|game|match|movie|show|concert|news|kiss|performance|sunset|price|bill) (?:\w+ ){0,2}left (?:me|us) breathless|me ahogo de calor|me ahogo en (?:trabajo|deudas|papeles)|ahogad[oa] en (?:trabajo|deudas))\b/,
];

const FIGURATIVE_ALL = FIGURATIVE.map((r) => new RegExp(r.source, 'g'));

export function figurativeSpans(clause: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const g of FIGURATIVE_ALL) {
    for (const m of clause.matchAll(g)) out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

// Laughter marks a joke ("i laughed so hard i couldn't breathe 😂"). Not over self-harm: teens wrap what
// they mean in "lol" ("kms lol", "me quiero morir jaja"); the matcher does not apply it there.
const JOKE = /\b(?:lol|lmao|lmfao|rofl|haha\w*|hehe\w*|jaja\w*|jeje\w*|jiji\w*|xd|laughed so hard|laughing so hard|from laughing|de tanto reir|me rei tanto|de la risa|de risa)\b/;

export function isJoke(clause: string): boolean {
  return JOKE.test(clause);
}

// A later clause that says it ended ("…but it came out and he's fine"): the earlier clauses are over.
const RESOLVED_LATER = /\b(?:came out|got it out|(?:lo|la) tosi(?:o)?|(?:is|hes|shes|theyre) (?:back )?home (?:and|now)|ya (?:esta|estan) en (?:su )?casa|(?<!(?:wont|doesnt|didnt|cant|not|never|wouldnt) )come out|it passed|(?:hes|shes|hes ok|shes ok|he is|she is|theyre|were) (?:fine|ok|okay|alright|all right|breathing (?:fine|normally|normal))|is fine now|lo (?:saco|escupio|expulso)|la (?:saco|escupio)|y (?:ya )?esta bien|ya esta bien|ya paso|se le paso|se me paso|coughed (?:it )?(?:up|out)|(?:spit|spat) (?:it )?out|(?:and|but) (?:is|was) (?:totally |completely |perfectly |just )?fine(?! (?:at|this|an hour|yesterday|earlier|before|until|till|last|when|a few|this morning|\d))|(?:ya )?se (?:me|le) quito|(?<!(?:hasnt|havent|not|never|wont|didnt|doesnt|cant|nt) )stopped bleeding|(?<!no )dejo de sangrar|ya no sangra|paro (?:en|solo|a los|despues)|stopped (?:after|on its own|by itself)|se detuvo solo|(?:he|she|they|i|we) (?:was|were) (?:totally |completely |perfectly |just |all |back to )?(?:fine|ok|okay|alright|all right|better|normal) (?:after|afterwards|again|once|within|in a (?:few|couple))|(?:y |ya )(?:esta|anda|quedo) (?:normal|como si nada)|(?:se fue|salio|se regreso) (?:caminando|manejando|por su propio pie)|(?:walked|drove) (?:himself |herself )?(?:home|out)|(?:hes|shes|is) (?:totally |completely )?(?:normal|fine) now|se (?:compuso|repuso)|quedo bien|estuvo bien despues)\b/;

export function resolvedLater(clause: string): boolean {
  return RESOLVED_LATER.test(clause) && !NOT_OVER.test(clause);
}

// Negators the phrase puts between its own words ("chest doesnt hurt", "pregnant, no bleeding").
const INNER_NEGATORS = /(?:^| )(?:doesnt|dont|isnt|arent|wasnt|werent|didnt|havent|hasnt|hadnt|not|no|sin|ni|nada|never|nunca|without)(?= )(?! (?:quitting|stopping|going away|letting up|easing|getting better|improving|working|helping|se (?:me |le )?(?:quita|pasa|va)|(?:me |le )?(?:ayuda|sirve|funciona|mejora)))/g;

/** True when a negator stands in the last few words of a match and is not one of the pattern's own words. */
export function negatedInside(match: string, pattern: string): boolean {
  const words = match.trim().split(' ');
  if (words.length < 3) return false;
  const tail = ` ${withoutFillers(words.slice(1, -1).join(' ')).trim().split(' ').slice(-4).join(' ')} `;
  for (const m of tail.matchAll(INNER_NEGATORS)) {
    const w = m[0].trim();
    if (!new RegExp(`(?:^|[^a-z])${w}(?:[^a-z]|$)`).test(pattern.replace(/\\[a-z]/g, ' '))) return true;
  }
  return false;
}

// Happening right now: no longer the past or a hypothetical, whatever else the message says.
const HAPPENING_NOW = /\b(?:right now|rn|its happening|is happening|happening now|same (?:feeling|pain|thing) (?:right )?now|ahorita|ahora mismo|me esta pasando|le esta pasando|esta pasando ahora|exactamente lo mismo|started (?:like |about )?(?:\d+|an?|a few) (?:min|mins|minutes|hours?) ago|(?:\d+|an?) (?:min|mins|minutes) ago|hace (?:\d+|un|unos|pocos) (?:min|mins|minutos)|empezo hace (?:rato|un rato|poco|\d+)|me paso hace \d+ min\w*)\b/;

// "ahorita no me duele nada": now, but denied.
const DENIED_NOW = /^ ?,? ?(?:(?:i |it |im |i am |its |me |le )?(?:no|not|nothing|nada|dont|doesnt|isnt|im not|i am not))\b/;
const HAPPENING_NOW_ALL = new RegExp(HAPPENING_NOW.source, 'g');

export function happeningNow(text: string): boolean {
  for (const m of text.matchAll(HAPPENING_NOW_ALL)) if (!DENIED_NOW.test(text.slice(m.index + m[0].length))) return true;
  return false;
}

// The whole message tells the event was handled ("the ER said it was muscular", "ya está estable").
const HANDLED = /\b(?:turned out to be|turns out it was|resulto ser|resulto que (?:era|fue)|(?:is|hes|shes|are) in (?:the )?(?:icu|intensive care|hospice)|en (?:terapia|cuidados) intensiv[oa]s|how (?:can|do|should) i (?:support|help) (?:my|her|him|them)|como (?:la |lo |les )?(?:apoyo|puedo apoyar)|caregivers?|cuidadores|shes stable|hes stable|is stable|esta estable|recovering from|recuperandose de|home resting|checked (?:him|her|me) and|said it was|dijeron que (?:era|fue)|can i visit|puedo visitar\w*|what (?:should|can) i send|que les mando|que le mando|all better now|me comi un \w+ y ya|(?:cardiac |pulmonary )?rehab|rehabilitacion|en terapia|came (?:back )?up to \d+|arrived healthy|(?:was|were) born|nacio (?:sano|sana|bien)|healthy baby|bebe sano|todo salio bien|everything went (?:well|fine)|tests? (?:were |came back |all )?normal|all (?:tests )?normal|todo (?:salio )?normal|sent (?:me|him|her|us) home|(?:me|lo|la|nos) mandaron a (?:la )?casa|(?:add|put|write|agrega|anota|apunta)\b.{0,60}\b(?:to the list|a la lista|en la lista)|y (?:ya )?subio a \d+|volvio a subir a \d+|(?:the )?(?:nurse|doctor|dr|er|paramedics|ambulance crew) (?:said|checked|says)|(?:el medico|la doctora|el doctor|la enfermera|los paramedicos|en urgencias) (?:(?:lo|la|le|me|nos|los|las) )?(?:dijo|dijeron|reviso|revisaron|checo|checaron)|dijeron que (?:esta|estaba) bien|all clear|(?:said|says) (?:thats|that is|its|it is) (?:expected|normal)|(?:dijo|dice) que es (?:normal|de esperar\w*)|(?:its|it is|its just|it is just) mild|(?:only|just) when i (?:cough|sneeze|laugh|press on it|move)|solo cuando (?:toso|me muevo|estornudo)|everything (?:checks|checked) out|checked out (?:fine|ok)|(?:neurologist|cardiologist|they|doctors?) (?:said|says) (?:it was |its )?(?:just |only )?(?:a |an )?(?:muscle|muscular|migraine|anxiety|panic|reflux|heartburn|gas|nothing|fine|normal|strain|viral|benign)|\b(?:they|doctors?|dr|nurse|cardiologist|neurologist|er|hospital)\b(?: \w+){1,6} and (?:said|says|told (?:us|me|her|him)) (?:that )?(?:it was |its |it is )?(?:just |only )?(?:a |an )?(?:muscle|muscular|migraine|anxiety|panic|reflux|heartburn|gas|nothing|fine|normal|strain|viral|benign)|(?:already )?(?:saw|seen|examined|checked) (?:her|him|me|them) and (?:upped|increased|adjusted|changed|raised|switched)|(?:upped|increased|adjusted|raised) (?:her|his|my|their) (?:meds|medication|medicine|dose|dosage)|ya (?:la|lo|me|los|las) (?:vio|reviso|checo|atendio|examino) (?:el|la|su|mi|un|una) (?:doctor|doctora|medic[oa]|neurolog[oa]|cardiolog[oa]|pediatra|enfermer[oa])|(?:le|me|les) (?:subio|subieron|ajusto|ajustaron|aumento|aumentaron) (?:la dosis|el medicamento|la medicina|las pastillas|la medicacion)|y todo bien|era (?:un |una |solo |nada mas |nomas )?(?:muscular|musculo|contractura|desgarre|tiron|gastritis|reflujo|ansiedad|gases|gas|virus|migrana|el azucar)|(?:le|me|les) (?:hicieron|hizo|hice) (?:estudios|examenes|pruebas|analisis|un electro|electro|todos los estudios)(?: \w+){0,3} y (?:era|fue|salio|salieron|todo)|(?:hes|shes|he is|she is) back (?:at|to) work|ya (?:volvio|regreso) (?:a trabajar|al trabajo)|(?:glucose tabs|glucose tablets|juice|candy|soda|pastillas de glucosa|jugo|dulce|caramelo|refresco)\b.{0,40}\b(?:was|went up to|came up to|back (?:up )?to|got up to|subio a|estaba en|ya (?:estaba|esta) en|y ya) (?:[7-9]\d|1\d\d)\b|(?:hoy|ya) esta perfect[oa]|(?:el neurologo|el cardiologo|el medico|la doctora|el doctor) dice que (?:no es|fue|era)|conte las pastillas|estan todas|counted (?:the |her |his |my )?(?:pills|tablets)|(?:theyre|they are) all there|(?:got|came) home from the hospital|discharged|(?:le|me|lo|la) dieron de alta|dad[oa] de alta|(?:chequeo|revision|control|checkup|check up|follow up) de rutina|routine (?:checkup|check up|follow up|visit)|(?:the )?(?:pharmacist|farmaceutic[oa]) (?:\w+ ){0,2}(?:review|look at|check|revisar|checar)|what should i bring|when i visit|cuando lo visite|cuando la visite|que (?:le|les) llevo)\b|(?:,|^) (?:and )?(?:hes|shes|theyre|were|everyone is) (?:fine|ok|okay|alright|all right)(?: now)? $/;

export function handled(text: string): boolean {
  return HANDLED.test(text) && !NOT_OVER.test(text);
}

// "no throat swelling, just a small rash": a comma-separated part that opens with a denial, followed by
// a part that opens with "just"/"only"/"solo", denies every symptom it names.
const DENIAL_OPENING = /^ ?(?:and |y )?(?:no (?!one |way |puedo|puede|pued|podia|pudo|respir|respond|contest|despiert|reaccion|para |paro |deja|dejo|se |me |le |lo |la |logr|consig|sab|quier|entiend|muev|habl|vuelv|mov|abre|siento|siente|aguant)[a-z]+|never had|i dont have|i do not have|i havent had|theres no|there is no|ni|sin|nunca (?:he|ha) tenido|no (?:tengo|tiene|he tenido|ha tenido|hay|me duele|le duele|se (?:me|le) (?!quita|pasa|entiende|mueve|para|detiene)[a-z]+)) /;
const ONLY_OPENING = /^ ?(?:(?:but |pero )?(?:just|only|solo|nomas|nada mas|its just|es solo)) /;

export function deniedPart(clause: string, pos: number): boolean {
  const parts = clause.split(' , ');
  let start = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const end = start + part.length;
    if (pos >= start && pos <= end) return DENIAL_OPENING.test(part) && parts.slice(i + 1).some((later) => ONLY_OPENING.test(later));
    start = end + 3;
  }
  return false;
}
