export { ComplianceDashboard } from './ComplianceDashboard';
