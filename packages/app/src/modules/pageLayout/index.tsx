import {
  createFrontendModule,
  PageLayoutProps,
} from '@backstage/frontend-plugin-api';
import appPlugin from '@backstage/plugin-app';
import { SwappableComponentBlueprint } from '@backstage/plugin-app-react';
import { RoutedTabPanel } from './RoutedTabPanel';

const componentData = SwappableComponentBlueprint.dataRefs.component;

/**
 * Backstage's page layout, unchanged, with the content of a page that has header tabs wrapped in the tab panel
 * those tabs control (see RoutedTabPanel).
 */
const pageLayout = appPlugin
  .getExtension('component:app/core-page-layout')
  .override({
    factory(originalFactory) {
      const original = originalFactory().get(componentData);
      return [
        componentData({
          ref: original.ref,
          loader: async () => {
            const Layout = (await original.loader()) as (
              props: PageLayoutProps,
            ) => JSX.Element | null;
            return (props: PageLayoutProps) => (
              <Layout {...props}>
                {props.tabs?.length && !props.noHeader ? (
                  <RoutedTabPanel>{props.children}</RoutedTabPanel>
                ) : (
                  props.children
                )}
              </Layout>
            );
          },
        }),
      ];
    },
  });

export const pageLayoutModule = createFrontendModule({
  pluginId: 'app',
  extensions: [pageLayout],
});
