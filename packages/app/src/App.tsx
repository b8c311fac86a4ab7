import { createApp } from '@backstage/frontend-defaults';
import { navModule } from './modules/nav';
import { homeModule } from './modules/home';
import { signInModule } from './modules/signIn';
import { entityModule } from './modules/entity';
import { repositoriesModule } from './modules/repositories';
import { themeModule } from './modules/theme';
import { scaffolderModule } from './modules/scaffolder';
import { pageLayoutModule } from './modules/pageLayout';

// Plugins listed in package.json are discovered through `app.packages: all`; these modules are Forge's own
// app-level pieces: navigation, the home page, sign-in, entity page additions, the local repository page, and
// accessibility fixes of Backstage's defaults (themes, the template card, header tabs' panels).
export default createApp({
  features: [
    navModule,
    homeModule,
    signInModule,
    entityModule,
    repositoriesModule,
    themeModule,
    scaffolderModule,
    pageLayoutModule,
  ],
});
