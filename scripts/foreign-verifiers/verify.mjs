// Node's jose (createRemoteJWKSet) against auth-service, given only the
// issuer's discovery URL. Usage: node verify.mjs DISCOVERY_URL ALGORITHM TOKEN [REFUSED_TOKEN]
// Verifies TOKEN, refuses tokens signed by keys not in the set, and
// REFUSED_TOKEN when given.
import { readFileSync } from "node:fs";
import { createRemoteJWKSet, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT, decodeJwt } from "jose";

const [url, algorithm, token, refusedToken] = process.argv.slice(2);
const metadata = await (await fetch(url)).json();
const keys = createRemoteJWKSet(new URL(metadata.jwks_uri));
const options = { issuer: metadata.issuer, audience: "items-service", algorithms: [algorithm] };
const version = JSON.parse(readFileSync(new URL("./node_modules/jose/package.json", import.meta.url))).version;

const { payload } = await jwtVerify(token, keys, options);
const kid = decodeProtectedHeader(token).kid;

async function refused(forged, what) {
  try {
    await jwtVerify(forged, keys, options);
  } catch (error) {
    return error.code ?? error.name;
  }
  throw new Error(`jose accepted ${what}`);
}

async function forge(withKid) {
  const { privateKey } = await generateKeyPair(algorithm, algorithm === "EdDSA" ? { crv: "Ed25519" } : {});
  return new SignJWT(decodeJwt(token)).setProtectedHeader({ alg: algorithm, kid: withKid, typ: "JWT" }).sign(privateKey);
}

const unknown = await refused(await forge("not-in-the-set"), "an unknown key");
const wrongKey = await refused(await forge(kid), "a key not in the set under a known kid");
let said = `jose ${version}: verified ${algorithm} for ${payload.username} (kid ${kid}); refused an unknown key (${unknown}) and a wrong key under a known kid (${wrongKey})`;
if (refusedToken) {
  said += `; refused the retired key's token (${await refused(refusedToken, "a retired key's token")})`;
}
console.error(said);
