export interface Config {
  forge?: {
    compliance?: {
      exemptions?: {
        /**
         * Longest an exemption may last, in days (default 180). The compliance backend enforces it; the portal
         * reads it to offer no later expiry date than the backend accepts.
         * @visibility frontend
         */
        maxDays?: number;
      };
    };
  };
}
