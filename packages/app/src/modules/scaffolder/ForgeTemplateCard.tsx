import { RELATION_OWNED_BY } from '@backstage/catalog-model';
import { Link, MarkdownContent, UserIcon } from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import {
  iconsApiRef,
  useAnalytics,
  useApi,
  useTranslationRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityRefLinks,
  FavoriteEntity,
  entityRouteParams,
  entityRouteRef,
  getEntityRelations,
} from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { taskCreatePermission } from '@backstage/plugin-scaffolder-common/alpha';
import {
  TemplateCardComponentProps,
  scaffolderReactTranslationRef,
} from '@backstage/plugin-scaffolder-react/alpha';
import {
  Box,
  Button,
  Card,
  CardActions,
  CardContent,
  Chip,
  Divider,
  Tooltip,
  Typography,
  makeStyles,
  useTheme,
} from '@material-ui/core';
import DescriptionIcon from '@material-ui/icons/Description';
import LanguageIcon from '@material-ui/icons/Language';

const useStyles = makeStyles(theme => ({
  header: {
    padding: theme.spacing(2, 2, 2.5),
    backgroundImage: (p: { background: string; color: string }) => p.background,
    color: (p: { background: string; color: string }) => p.color,
  },
  subtitle: {
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'center',
  },
  detailLink: {
    display: 'inline-flex',
    color: 'inherit',
    verticalAlign: 'middle',
  },
  description: {
    overflow: 'hidden',
    display: '-webkit-box',
    '-webkit-line-clamp': 10,
    '-webkit-box-orient': 'vertical',
    '& :first-child': { margin: 0 },
  },
  footer: {
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'center',
    flex: 1,
    padding: theme.spacing(2),
  },
  owner: { display: 'flex', alignItems: 'center', gap: theme.spacing(1) },
}));

/**
 * The Create page's template card, as Backstage draws it, with one difference: the link to the template's catalog
 * page is a named link. Backstage's card puts an icon-only link inside an icon button, so screen readers meet a
 * button with a link inside it and a link with no name (axe: nested-interactive, link-name).
 */
export function ForgeTemplateCard(props: TemplateCardComponentProps) {
  const { template, additionalLinks, onSelected } = props;
  const { t } = useTranslationRef(scaffolderReactTranslationRef);
  const theme = useTheme<any>();
  const pageTheme = theme.getPageTheme({ themeId: template.spec.type });
  const classes = useStyles({
    background: pageTheme.backgroundImage,
    color: pageTheme.fontColor,
  });
  const analytics = useAnalytics();
  const icons = useApi(iconsApiRef);
  const entityRoute = useRouteRef(entityRouteRef);
  const { allowed: canCreateTask } = usePermission({
    permission: taskCreatePermission,
  });
  const title = template.metadata.title ?? template.metadata.name;
  const owners = getEntityRelations(template, RELATION_OWNED_BY);
  const tags = template.metadata.tags ?? [];
  const links = [
    ...(additionalLinks ?? []).map(l => ({
      url: l.url,
      text: l.text,
      icon: <l.icon fontSize="small" />,
    })),
    ...(template.metadata.links ?? []).map(l => ({
      url: l.url,
      text: l.title || l.url,
      icon: (l.icon && icons.icon(l.icon)) ?? <LanguageIcon fontSize="small" />,
    })),
  ];

  return (
    <Card>
      <div className={classes.header}>
        <Typography variant="h6" component="h2">
          {title}
        </Typography>
        <div className={classes.subtitle}>
          <Typography variant="body2" component="span">
            {template.spec.type}
          </Typography>
          <span>
            <Tooltip title={t('cardHeader.detailBtnTitle')}>
              <Link
                to={entityRoute(entityRouteParams(template))}
                className={classes.detailLink}
                aria-label={`${title}: ${t('cardHeader.detailBtnTitle')}`}
              >
                {icons.icon('kind:template') ?? <DescriptionIcon />}
              </Link>
            </Tooltip>
            <FavoriteEntity
              entity={template}
              style={{ padding: 0, marginLeft: 6 }}
            />
          </span>
        </div>
      </div>
      <CardContent>
        <Box className={classes.description}>
          <MarkdownContent
            content={
              template.metadata.description ?? t('templateCard.noDescription')
            }
          />
        </Box>
        {tags.length > 0 && (
          <>
            <Box my={2}>
              <Divider />
            </Box>
            <Box display="flex" flexWrap="wrap" style={{ gap: 8 }}>
              {tags.map(tag => (
                <Chip
                  key={tag}
                  size="small"
                  label={tag}
                  style={{ margin: 0 }}
                />
              ))}
            </Box>
          </>
        )}
        {links.length > 0 && (
          <>
            <Box my={2}>
              <Divider />
            </Box>
            {links.map(link => (
              <Box key={link.url} display="flex" alignItems="center" mb={1}>
                {link.icon}
                <Link to={link.url} style={{ marginLeft: 8 }}>
                  {link.text}
                </Link>
              </Box>
            ))}
          </>
        )}
      </CardContent>
      <CardActions className={classes.footer}>
        <div className={classes.owner}>
          {owners.length > 0 && (
            <>
              <UserIcon fontSize="small" />
              <EntityRefLinks
                entityRefs={owners}
                defaultKind="Group"
                hideIcons
              />
            </>
          )}
        </div>
        {canCreateTask && (
          <Button
            size="small"
            variant="outlined"
            color="primary"
            data-testid="template-card-actions--create"
            aria-label={`${t('templateCard.chooseButtonText')} ${title}`}
            onClick={() => {
              analytics.captureEvent('click', 'Template has been opened');
              onSelected?.();
            }}
          >
            {t('templateCard.chooseButtonText')}
          </Button>
        )}
      </CardActions>
    </Card>
  );
}
