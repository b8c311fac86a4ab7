export interface Config {
  forge?: {
    permissions?: {
      /**
       * Which catalog groups grant which role in the Forge permission policy (members of nested sub-teams too).
       * Group refs such as `group:default/platform-admins`.
       */
      roles?: {
        admin?: string[];
        compliance?: string[];
        security?: string[];
      };
      /**
       * What each service principal may do in Forge, by subject: `ci` (a static token of
       * `backend.auth.externalAccess`), `plugin:scaffolder` (a Backstage plugin calling with its own token).
       * Values are Forge permission names, e.g. `forge.compliance.facts.push`. A subject not listed here may do
       * nothing in Forge, whatever its token allows elsewhere. `plugin:scaffolder` keeps what the blueprints
       * need unless it is listed here.
       */
      services?: {
        [subject: string]: string[];
      };
    };
  };
}
