import type { Lexicon } from './lexicon-en.js';

/**
 * Phrasings learned from tuning sets D and E: indirect suicide warning signs (on purpose, goodbyes to
 * the care team, means counted out), atypical cardiac and stroke signs, CO alarms with symptoms,
 * overdoses told in passing. Folded, typo-corrected words, as in lexicon-en.ts. The last block was
 * learned from tuning set F (teen slang, means at hand, self-harm told as a habit, a child eating pills).
 */
export const LEXICON_SIGNS: Lexicon = [
  ['self_harm', /\b(?:took|swallowed|tome|me tome|me trague|se tomo|se trago) (?:\w+ ){0,5}(?:pills|tablets|meds|antidepressants|pastillas|antidepresivos|medicinas|pildoras|bottle|frasco)(?: \w+){0,2} (?:on purpose|a proposito|adrede)\b|\b(?:cut|me corte)\b(?: \w+){0,3} (?:deeper than i (?:meant|wanted|intended)|mas profundo de lo que (?:queria|pensaba))\b/],
  ['self_harm', /\bhow many\b(?: \w+){0,4} (?:would|does|will|do) it take to (?:not wake up|die|end it|kill|never wake)\b|\bcuantas\b(?: \w+){0,2} (?:hacen falta|se necesitan)\b(?!.* (?:al dia|por dia|diarias))|\b(?:lethal|fatal|deadly) dose\b.*\b(?:for me|asking for me|myself)\b|\bdosis (?:letal|mortal)\b.*\b(?:por mi|para mi)\b/],
  ['self_harm', /\bif im not (?:here|around|alive) tomorrow\b|\bsi manana (?:ya )?no estoy\b/],
  ['self_harm', /\bcancel all (?:of )?my (?:appointments|refills|meds)\b.*\bwont be around\b|\b(?:goodbye|adios|bye)\b.*\b(?:all this time|todo este tiempo|for trying|por intentarlo)\b|\b(?:esto es un adios|this is goodbye)\b|\bnobody (?:will|would) miss me\b|\bnadie me (?:va a )?(?:extranar|extranaria|echara de menos)\b/],
  ['self_harm', /\b(?:no puedo mas|cant take (?:it|this) anymore|cant do this anymore|ya no aguanto)\b.*\b(?:cuerda|soga|rope|noose|gun|pistola|pastillas|pills)\b|\b(?:have|got|tengo) (?:the |my |las |mis )?(?:pills|tablets|pastillas) (?:counted|contadas)\b/],
  ['self_harm', /\b(?:tonight|today|hoy|esta noche) es la noche\b|\b(?:tonight|today) is the night\b(?=.*\b(?:peace|tired|paz)\b)|\bya me canse de todo\b(?! (?:el|la|lo|los|las|esto|eso))|\btired of living\b|\bdespues de (?:este|esta|hoy|manana)\b.*\bya no (?:la |lo |las |los )?voy a necesitar\b|\bafter (?:this|tonight|today|tomorrow)\b.*\b(?:wont|will not) (?:be needing|need)\b/],
  ['self_harm', /\b(?:azotea|roof|top) (?:de|of) (?:mi|my) (?:edificio|building)\b|\bon the ledge\b|\bwhats the point (?:anymore|of living|of going on)\b(?!.*\b(?:of|in) (?:taking|the|this|these)\b)|\b(?:no sabe|doesnt know) (?:que )?(?:fue|was|it was) (?:la ultima vez|the last time)\b/],
  ['self_harm', /\b(?:quiero|quisiera|me gustaria) dormir y no (?:volver a )?despertar\b|\b(?:want|wanna|wish i could) (?:to )?(?:go to )?sleep and (?:not|never) wake up\b/],
  ['poisoning', /\b(?:cervezas?|alcohol|tragos|copas|vino|beers?|drinks|wine|vodka|tequila)\b.*\b(?:oxicodona|oxycodone|oxy|fentanyl|fentanilo|xanax|alprazolam|percocet|morfina|morphine|tramadol|clonazepam|valium|diazepam)\b.*\b(?:siento (?:q|que) me voy|me siento (?:muy )?(?:mal|raro|rara|mareado|mareada)|no puedo (?:respirar|mantenerme despiert\w*)|cant (?:stay awake|breathe|keep my eyes open)|feel (?:really )?(?:weird|strange|like im fading|out of it))\b/],
  ['unconscious', /\b(?:dont|do not) think (?:hes|shes|he is|she is|the baby is|its) breathing\b|\bno creo que (?:este )?respir\w*\b|\b(?:he|she|dad|mom|husband|wife|someone|a man|a woman) (?:just )?dropped (?:while|during|in the middle|at the gym)\b/],
  ['cardiac', /\b(?:defibrillator|desfibrilador|icd) (?:just )?(?:shocked me|went off|me dio (?:\w+ ){0,2}descargas?|gave me (?:\w+ ){0,2}shocks?)\b|\b(?:left )?(?:shoulder|arm) and jaw (?:pain|ache|hurt\w*)|\bjaw and (?:left )?(?:shoulder|arm) (?:pain|ache|hurt\w*)|\bdolor (?:en |de )?(?:el )?(?:hombro|brazo) izquierdo y (?:la )?mandibula\b/],
  ['stroke', /\b(?:doesnt|does not|didnt|no) (?:recogni[sz]e|reconoce|reconocio)\b(?=.*\b(?:started|empezo|suddenly|de repente|minutes ago|minutos|all of a sudden)\b)|\b(?:perdi|lost|perdio) (?:la )?(?:mitad|half) (?:de )?(?:la |my |mi |of my )?(?:vista|vision)\b|\b(?:hablo|hablando) (?:raro|chistoso|extrano|arrastrado)\b/],
  ['bleeding', /\b(?:empapo|empapando|soaking|soak|soaked through) (?:\w+ ){0,2}(?:compresas?|toallas?|pads?|tampons?) (?:cada|every) (?:\d+|una|an?)\b/],
  ['poisoning', /\b(?:mareados?|confundid[oa]s?|adormilad[oa]s?|duele la cabeza|vomitando|dizzy|headaches?|confused|drowsy)\b.*\balarma de monoxido\b|\b(?:sono|suena|sonaba) la alarma de monoxido\b.*\b(?:mare\w*|confundid\w*|adormilad\w*|cabeza|vomit\w*)\b|\b(?:co|carbon monoxide) (?:alarm|detector) (?:went off|is going off|going off|keeps going off|beeping)\b.*\b(?:dizzy|headaches?|confused|drowsy|sleepy|nause\w*|vomit\w*|throwing up)\b/],
  ['poisoning', /\bme pase con (?:las |los |mis )?(?:pastillas|medicinas|pills)\b|\bno se cuantas (?:pastillas )?(?:tome|se tomo|tomo)\b|\boverdid (?:it )?(?:with )?(?:the |my )?(?:pills|pain ?killers|meds)\b/],
  ['allergy', /\b(?:alergic[oa]|allergic)\b.*\b(?:siento que me desmayo|feel (?:like )?(?:im going to )?faint|about to pass out)\b|\b(?:siento que me desmayo|feel (?:like )?(?:im going to )?faint|about to pass out)\b.*\b(?:alergic[oa]|allergic)\b/],
  ['pregnancy', /\b\d\d (?:weeks|wks|semanas)\b.*\b(?:baby|bebe)\b(?: \w+){0,3} (?:quiet|not moving|hasnt moved|no se mueve|quieto|quietito) (?:since|desde|all day|todo el dia)\b/],
  ['child_harm', /\b(?:go|goes|went|gone|going) limp and (?:not|doesnt|didnt|wont) respond\w*|\bflojit[oa] y no reacciona?\w*/],
  // Learned from set F.
  ['self_harm', /(?<!\d )\bkms\b|\bkys myself\b|\b(?:pills|tablets|pastillas|pildoras) (?:all )?(?:lined up|alineadas|formaditas)\b/],
  ['self_harm', /\b(?:bought|got|have|i have) (?:a |the |my )?(?:gun|rope|noose)\b.*\b(?:know what im (?:going to|gonna) do|its time|for myself)\b|\b(?:compre|tengo|consegui) (?:una |la |mi )?(?:pistola|soga|cuerda|arma)\b.*\b(?:se lo que voy a hacer|ya es hora|para mi)\b/],
  ['self_harm', /\b(?:burn\w*|cut\w*|hurt\w*) myself with (?:a |the |my )?(?:lighter|cigarette|blade)\b|\bmyself\b(?: \w+){0,5} again\b.*\bcant stop\b|\bme (?:queme|corte|lastime)\b(?: \w+){0,5} (?:otra vez|de nuevo)\b.*\bno puedo parar\b|\bme (?:queme|corte) con (?:el |un |una )?(?:encendedor|cigarro|navaja|cuchilla)\b/],
  ['poisoning', /\b(?:son|daughter|kid|child|toddler|baby|grandson|granddaughter|nephew|niece|boy|girl)\b(?: \w+){0,3} (?:ate|got into) (?:\w+ ){0,4}(?:pills|tablets|meds)\b/],
  ['breathing', /\b(?:casi no|no) me pasa (?:el )?aire\b/],
  // Learned from set G.
  ['self_harm', /\b(?:time (?:i|to) |just |want to |wanna )(?:just )?stop existing\b|\b(?:already )?(?:wrote|written|finished|left) my (?:suicide |goodbye )?note\b|\bya (?:escribi|deje) mi (?:carta|nota) de despedida\b|\bya (?:escribi|deje) mi (?:carta|nota)\b(?! (?:para|al|a la) (?:doctor|medico|doctora|escuela|trabajo))/],
  ['self_harm', /\b(?:me voy a|voy a|pienso) (?:cortar(?:me)? las venas|tirar(?:me)? (?:del|de un|de una|por la|desde el|desde la) (?:balcon|puente|edificio|ventana|techo|azotea))\b|\bvoy a tirarme (?:del|de un|de una|por la|desde el|desde la) (?:balcon|puente|edificio|ventana|techo|azotea)\b/],
  // Learned from set H.
  ['child_harm', /\b(?:le|la|lo|les|las|los) (?:toca|toco|tocaba|tocan|tocaron|manosea|manoseo|manoseaba) (?:\w+ )?(?:sus|las) partes\b|\btouch(?:es|ed|ing) (?:her|his|their) (?:privates|private parts|private area|down there)\b|\btouch(?:es|ed|ing) (?:her|him|them) (?:down there|in (?:her|his|their) private\w*)/],
];
