export class ConversationStore { readonly name = 'conversations'; }
