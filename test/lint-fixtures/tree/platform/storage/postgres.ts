export interface PgPool { query(sql: string): Promise<unknown> }
