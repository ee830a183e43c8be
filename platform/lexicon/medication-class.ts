/**
 * A medication's therapeutic class (after the WHO ATC groups), from its name: analytics keeps the
 * class and never the name. English and Spanish generic names; anything unknown is `other`.
 */
const CLASSES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['antidiabetic', ['metformin', 'metformina', 'insulin', 'insulina', 'glipizide', 'glipizida', 'glimepiride', 'glimepirida', 'gliclazide', 'sitagliptin', 'sitagliptina', 'empagliflozin', 'empagliflozina', 'dapagliflozin', 'dapagliflozina', 'liraglutide', 'semaglutide', 'semaglutida', 'pioglitazone', 'pioglitazona']],
  ['antihypertensive', ['lisinopril', 'enalapril', 'ramipril', 'losartan', 'losartán', 'valsartan', 'valsartán', 'amlodipine', 'amlodipino', 'hydrochlorothiazide', 'hidroclorotiazida', 'chlorthalidone', 'metoprolol', 'atenolol', 'bisoprolol', 'carvedilol', 'furosemide', 'furosemida', 'spironolactone', 'espironolactona']],
  ['lipid_lowering', ['atorvastatin', 'atorvastatina', 'simvastatin', 'simvastatina', 'rosuvastatin', 'rosuvastatina', 'pravastatin', 'pravastatina', 'ezetimibe', 'ezetimiba']],
  ['antithrombotic', ['warfarin', 'warfarina', 'apixaban', 'apixabán', 'rivaroxaban', 'rivaroxabán', 'dabigatran', 'clopidogrel', 'aspirin', 'aspirina', 'acetylsalicylic']],
  ['respiratory', ['albuterol', 'salbutamol', 'fluticasone', 'fluticasona', 'budesonide', 'budesonida', 'montelukast', 'tiotropium', 'tiotropio', 'formoterol', 'salmeterol']],
  ['psychiatric', ['sertraline', 'sertralina', 'fluoxetine', 'fluoxetina', 'escitalopram', 'citalopram', 'paroxetine', 'paroxetina', 'bupropion', 'bupropión', 'venlafaxine', 'venlafaxina', 'duloxetine', 'duloxetina', 'quetiapine', 'quetiapina', 'aripiprazole', 'aripiprazol', 'lithium', 'litio']],
  ['thyroid', ['levothyroxine', 'levotiroxina', 'liothyronine', 'methimazole', 'metimazol']],
  ['gastrointestinal', ['omeprazole', 'omeprazol', 'pantoprazole', 'pantoprazol', 'esomeprazole', 'esomeprazol', 'lansoprazole', 'lansoprazol']],
  ['analgesic', ['paracetamol', 'acetaminophen', 'ibuprofen', 'ibuprofeno', 'naproxen', 'naproxeno', 'tramadol', 'gabapentin', 'gabapentina', 'pregabalin', 'pregabalina']],
  ['anti_infective', ['amoxicillin', 'amoxicilina', 'azithromycin', 'azitromicina', 'doxycycline', 'doxiciclina', 'ciprofloxacin', 'ciprofloxacino', 'nitrofurantoin', 'tenofovir', 'emtricitabine', 'dolutegravir']],
];

const BY_NAME = new Map(CLASSES.flatMap(([cls, names]) => names.map((n) => [fold(n), cls] as const)));

export const MEDICATION_CLASSES: readonly string[] = [...CLASSES.map(([c]) => c), 'other'];

function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

// A care plan names few medications many times: remember the answers (bounded, never logged).
const seen = new Map<string, string>();

export function medicationClass(name: string): string {
  const known = seen.get(name);
  if (known !== undefined) return known;
  let cls = 'other';
  for (const word of fold(name).split(/[^a-z]+/)) {
    const c = BY_NAME.get(word);
    if (c !== undefined) { cls = c; break; }
  }
  if (seen.size >= 10_000) seen.clear();
  seen.set(name, cls);
  return cls;
}
