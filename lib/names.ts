/** The app's name: the saved searches' `createdBy` tag, the generated text's signature, the User-Agent. */
export const GENERATOR = 'threatfox-sentinel-sync';
