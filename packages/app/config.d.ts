export interface Config {
  forge?: {
    signIn?: {
      /**
       * Sign-in providers offered on the sign-in page: guest, microsoft, okta.
       * @visibility frontend
       */
      providers?: string[];
    };
  };
}
