// The NLU core keeping conversation state itself.
import { createClient } from 'redis'; // lint-expect: no-restricted-imports
import { readFile } from 'fs/promises'; // lint-expect: no-restricted-imports
import { ConversationStore } from '../stores/conversation-store.js'; // lint-expect: import-x/no-restricted-paths

export const store: unknown[] = [createClient, readFile, new ConversationStore()];
