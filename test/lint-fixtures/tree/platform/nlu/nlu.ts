// The NLU's model reader is its named I/O edge: reading the model file is allowed here.
import { readFile } from 'node:fs/promises';

export const loadModel = (path: string): Promise<string> => readFile(path, 'utf8');
