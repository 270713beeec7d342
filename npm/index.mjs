// The ESM entry: the same module as `index.js` (one implementation, one set of classes, so an
// `instanceof AdminError` holds whichever way a test imported the package).
import cjs from './index.js';

export const { MockServer, MockServerError, AdminError, ApiError, findBinary, BINARY_ENV } = cjs;
export default cjs;
