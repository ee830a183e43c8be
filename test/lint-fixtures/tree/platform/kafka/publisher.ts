export interface Publisher { publish(topic: string): Promise<void> }
