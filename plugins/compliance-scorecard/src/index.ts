// Forge compliance scorecards in the portal: entity card and tab, manager dashboard, exemption queue, evidence export.
export {};
