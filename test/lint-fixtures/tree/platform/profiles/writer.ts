export class ProfileWriter { readonly name = 'profiles'; }
