// The online agency (customers domain): accounts, sessions, bills, claims and requests.
export { AGENCY_ERRORS, type AgencyErrorCode } from './errors.js';
export { AGENCY_MIGRATIONS } from './migrations.js';
export { AgencyFeature, agencyPlugin, captchaBypass, type AgencyFeatureOptions } from './agency-feature.js';
export { solveCaptcha, hasLeadingZeroBits, type CaptchaChallenge } from './captcha.js';
export { passwordWeakness, generatePassword } from './passwords.js';
