// Forge cost views: entity cost card and tab, team and organisation cost pages.
export {};
