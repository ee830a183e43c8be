// profiling/ is the profile store's one writer: it may import the writer.
import { ProfileWriter } from '../platform/profiles/writer.js';

export const writer = new ProfileWriter();
