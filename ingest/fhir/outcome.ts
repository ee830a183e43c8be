/** FHIR R4 OperationOutcome: how every rejected resource and every error is explained. */

export type IssueCode = 'structure' | 'required' | 'value' | 'invariant' | 'code-invalid' | 'not-found' | 'duplicate'
  | 'not-supported' | 'too-long' | 'processing' | 'security' | 'forbidden' | 'exception' | 'invalid' | 'login' | 'too-costly';

export interface OutcomeIssue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code: IssueCode;
  diagnostics: string;
  expression?: string[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: OutcomeIssue[];
  extension?: Array<{ url: string; valueString?: string; valueInteger?: number }>;
}

/** Where a rejected resource came from: file, position in it, its resourceType and id as sent. */
export interface RejectContext {
  file: string;
  index: number;
  resourceType?: string;
  id?: string;
}

export const REJECT_EXT = 'https://careloop.dev/fhir/StructureDefinition/import-source';

export function issue(code: IssueCode, diagnostics: string, expression?: string): OutcomeIssue {
  return { severity: 'error', code, diagnostics, ...(expression !== undefined ? { expression: [expression] } : {}) };
}

export function outcome(issues: OutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** A reject as written to the rejects file: the outcome, with the source position as extensions. */
export function rejectOutcome(ctx: RejectContext, issues: OutcomeIssue[]): OperationOutcome {
  const ext: NonNullable<OperationOutcome['extension']> = [
    { url: `${REJECT_EXT}#file`, valueString: ctx.file },
    { url: `${REJECT_EXT}#index`, valueInteger: ctx.index },
  ];
  if (ctx.resourceType !== undefined) ext.push({ url: `${REJECT_EXT}#resourceType`, valueString: ctx.resourceType });
  if (ctx.id !== undefined) ext.push({ url: `${REJECT_EXT}#id`, valueString: ctx.id });
  return { resourceType: 'OperationOutcome', issue: issues, extension: ext };
}

/** The HTTP status an OperationOutcome answer carries, from its first issue. */
export function outcomeStatus(code: IssueCode): number {
  switch (code) {
    case 'not-found': return 404;
    case 'security': case 'login': return 401;
    case 'forbidden': return 403;
    case 'duplicate': return 409;
    case 'too-long': return 413;
    case 'too-costly': return 429;
    case 'not-supported': return 400;
    case 'exception': return 500;
    case 'structure': case 'required': case 'value': case 'invariant': case 'code-invalid': case 'processing': case 'invalid':
      return 422;
  }
}
