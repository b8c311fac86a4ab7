import { ReactNode, useLayoutEffect, useRef, useState } from 'react';

type SelectedTab = { tabId: string; panelId: string };

/**
 * The content of a page with header tabs, as the tab panel its selected tab controls.
 *
 * Backstage's page header (`PluginHeader` of @backstage/ui) draws its tabs with react-aria, which gives the selected
 * tab `aria-controls="<id>-tabpanel-<key>"`, but renders no tab panel: the page content comes after the header, from
 * the page. The tab then points at an element that does not exist (axe: aria-valid-attr-value, critical), and
 * screen readers cannot go from the tab to what it shows. The header is the element just before this one; the
 * panel takes the id its selected tab names, and is labelled by that tab, following selection as it changes.
 */
export function RoutedTabPanel(props: { children?: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [selected, setSelected] = useState<SelectedTab>();

  useLayoutEffect(() => {
    const header = ref.current?.previousElementSibling;
    if (!header) return undefined;
    const read = () => {
      const tab = header.querySelector('[role="tab"][aria-selected="true"]');
      const panelId = tab?.getAttribute('aria-controls');
      setSelected(previous => {
        if (!tab || !panelId) return undefined;
        if (previous?.tabId === tab.id && previous.panelId === panelId) {
          return previous;
        }
        return { tabId: tab.id, panelId };
      });
    };
    read();
    const observer = new MutationObserver(read);
    observer.observe(header, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['aria-selected', 'aria-controls', 'id'],
    });
    return () => observer.disconnect();
  }, []);

  return (
    <div
      ref={ref}
      role={selected ? 'tabpanel' : undefined}
      id={selected?.panelId}
      aria-labelledby={selected?.tabId}
    >
      {props.children}
    </div>
  );
}
