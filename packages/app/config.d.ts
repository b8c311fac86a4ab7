export interface Config {
  forge?: {
    signIn?: {
      /**
       * Sign-in options on the sign-in page: guest and personas (embedded default), microsoft or okta.
       * @visibility frontend
       */
      providers?: string[];
      /**
       * Demo personas offered when `personas` is among the providers (catalog users; the backend's
       * auth.providers.forge-demo.personas must list them too).
       * @visibility frontend
       */
      personas?: Array<{
        /** @visibility frontend */
        name: string;
        /** @visibility frontend */
        title: string;
        /** @visibility frontend */
        role: string;
      }>;
    };
  };
}
