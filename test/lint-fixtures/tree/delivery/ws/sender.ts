// A service reaching into another service's files instead of platform/.
import { frame } from '../../ingest/gateway/frames.js'; // lint-expect: import-x/no-restricted-paths

export const hello = frame('hello');
