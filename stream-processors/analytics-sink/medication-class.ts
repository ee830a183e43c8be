// The classifier moved to platform/lexicon/ so that campaign cohorts use the very same classes.
export { medicationClass, MEDICATION_CLASSES } from '../../platform/lexicon/medication-class.js';
