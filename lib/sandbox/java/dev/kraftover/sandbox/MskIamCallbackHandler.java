/*
 * kraftover sandbox: validates MSK-IAM-style SASL/OAUTHBEARER tokens.
 *
 * The token that aws-msk-iam-sasl-signer-js (and the other MSK IAM signers)
 * send is the base64url encoding (no padding) of a SigV4-presigned URL:
 *
 *   https://kafka.<region>.amazonaws.com/?Action=kafka-cluster%3AConnect
 *     &X-Amz-Algorithm=AWS4-HMAC-SHA256
 *     &X-Amz-Credential=<access key id>%2F<yyyymmdd>%2F<region>%2Fkafka-cluster%2Faws4_request
 *     &X-Amz-Date=<yyyymmddThhmmssZ>&X-Amz-Expires=<seconds>&X-Amz-SignedHeaders=host
 *     [&X-Amz-Security-Token=...]&X-Amz-Signature=<hex>&User-Agent=<signer>
 *
 * User-Agent is appended after signing, so it is not part of the signature.
 * This handler recomputes the signature with the secret key it knows for the
 * access key id (from the credentials file named by the JAAS option
 * kraftoverCredentialsFile) and refuses unknown keys, wrong signatures,
 * expired or future-dated tokens, other actions, services or regions. On
 * success the principal is the one mapped to the access key (e.g. iam-admin).
 *
 * Configured per listener:
 *   listener.name.iam.oauthbearer.sasl.server.callback.handler.class=dev.kraftover.sandbox.MskIamCallbackHandler
 *   listener.name.iam.oauthbearer.sasl.login.callback.handler.class=dev.kraftover.sandbox.MskIamCallbackHandler
 *   listener.name.iam.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule \
 *       required kraftoverCredentialsFile="/path/iam-identities.properties" kraftoverRegion="eu-west-1";
 *
 * As login callback handler it hands the broker a local token for its own
 * (unused) client side, so no unsecured-JWT login options are needed.
 */
package dev.kraftover.sandbox;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerExtensionsValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class MskIamCallbackHandler implements AuthenticateCallbackHandler {
    static final String CREDENTIALS_OPTION = "kraftoverCredentialsFile";
    static final String REGION_OPTION = "kraftoverRegion";
    static final String ACTION = "kafka-cluster:Connect";
    static final String SERVICE = "kafka-cluster";
    static final String ALGORITHM = "AWS4-HMAC-SHA256";
    static final long MAX_EXPIRES_SECONDS = 604_800L; // SigV4 presigned URL limit
    static final long MAX_CLOCK_SKEW_SECONDS = 300L;
    static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    static final Pattern HOST = Pattern.compile("^kafka\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?$");
    static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final Logger LOG = LoggerFactory.getLogger(MskIamCallbackHandler.class);

    /** What the broker knows about an access key. */
    record Identity(String secret, String principal) {}

    /** A validated token. */
    record Token(String value, String principalName, long lifetimeMs, Long startTimeMs) implements OAuthBearerToken {
        @Override
        public Set<String> scope() {
            return Set.of();
        }
    }

    /** Why a token was refused. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private Map<String, Identity> identities = Map.of();
    private String region;
    private Clock clock = Clock.systemUTC();

    @Override
    public void configure(Map<String, ?> configs, String saslMechanism, List<AppConfigurationEntry> jaasConfigEntries) {
        if (!"OAUTHBEARER".equals(saslMechanism)) {
            throw new IllegalArgumentException("Unexpected SASL mechanism: " + saslMechanism);
        }
        String file = null;
        for (AppConfigurationEntry entry : jaasConfigEntries) {
            Object f = entry.getOptions().get(CREDENTIALS_OPTION);
            if (f != null) file = f.toString();
            Object r = entry.getOptions().get(REGION_OPTION);
            if (r != null) region = r.toString();
        }
        if (file == null) {
            throw new IllegalArgumentException("JAAS option " + CREDENTIALS_OPTION + " is required");
        }
        identities = load(Path.of(file));
    }

    /** Reads identity.<ACCESS_KEY_ID>.secret / .principal pairs. */
    static Map<String, Identity> load(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        Map<String, Identity> out = new HashMap<>();
        for (String name : p.stringPropertyNames()) {
            Matcher m = Pattern.compile("^identity\\.([A-Za-z0-9]+)\\.secret$").matcher(name);
            if (!m.matches()) continue;
            String key = m.group(1);
            String principal = p.getProperty("identity." + key + ".principal");
            if (principal == null) throw new IllegalArgumentException("No principal for access key " + key + " in " + file);
            out.put(key, new Identity(p.getProperty(name), principal));
        }
        return Map.copyOf(out);
    }

    void setClock(Clock clock) {
        this.clock = clock;
    }

    void setIdentities(Map<String, Identity> identities, String region) {
        this.identities = Map.copyOf(identities);
        this.region = region;
    }

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        for (Callback callback : callbacks) {
            if (callback instanceof OAuthBearerValidatorCallback v) {
                try {
                    Token token = validate(v.tokenValue());
                    v.token(token);
                    LOG.info("Accepted MSK-IAM token for principal {}", token.principalName());
                } catch (Refused e) {
                    LOG.info("Refused MSK-IAM token: {}", e.getMessage());
                    v.error("invalid_token", null, null);
                }
            } else if (callback instanceof OAuthBearerExtensionsValidatorCallback) {
                // No SASL extensions are accepted; unvalidated ones are ignored by Kafka.
            } else if (callback instanceof OAuthBearerTokenCallback t) {
                long now = clock.millis();
                t.token(new Token("kraftover-sandbox-broker", "kraftover-sandbox-broker", now + 365L * 24 * 3600 * 1000, now));
            } else {
                throw new UnsupportedCallbackException(callback);
            }
        }
    }

    /** Validates a token; the returned token names the principal. */
    Token validate(String tokenValue) throws Refused {
        String url;
        try {
            url = new String(Base64.getUrlDecoder().decode(tokenValue), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new Refused("not base64url");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new Refused("not a URL");
        }
        if (!"https".equals(uri.getScheme()) || uri.getHost() == null || uri.getRawQuery() == null) {
            throw new Refused("not an https URL with a query");
        }
        Matcher host = HOST.matcher(uri.getHost());
        if (!host.matches()) throw new Refused("host is not kafka.<region>.amazonaws.com: " + uri.getHost());
        String hostRegion = host.group(1);
        if (region != null && !region.equals(hostRegion)) {
            throw new Refused("token is for region " + hostRegion + ", this cluster is in " + region);
        }
        Map<String, String> q = parseQuery(uri.getRawQuery());
        if (!ACTION.equals(q.get("Action"))) throw new Refused("action is " + q.get("Action") + ", not " + ACTION);
        if (!ALGORITHM.equals(q.get("X-Amz-Algorithm"))) throw new Refused("algorithm is not " + ALGORITHM);
        if (!"host".equals(q.get("X-Amz-SignedHeaders"))) throw new Refused("signed headers are not exactly host");
        String signature = require(q, "X-Amz-Signature");
        String amzDate = require(q, "X-Amz-Date");
        String[] credential = require(q, "X-Amz-Credential").split("/", -1);
        if (credential.length != 5) throw new Refused("malformed credential scope");
        String accessKey = credential[0];
        String scopeDate = credential[1];
        String scopeRegion = credential[2];
        if (!SERVICE.equals(credential[3]) || !"aws4_request".equals(credential[4])) {
            throw new Refused("credential scope is not for service " + SERVICE);
        }
        if (!scopeRegion.equals(hostRegion)) throw new Refused("credential scope region differs from the host's");
        if (!amzDate.startsWith(scopeDate) || scopeDate.length() != 8) throw new Refused("credential scope date differs from X-Amz-Date");
        Instant signedAt;
        try {
            signedAt = LocalDateTime.parse(amzDate, AMZ_DATE).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new Refused("malformed X-Amz-Date");
        }
        long expires;
        try {
            expires = Long.parseLong(require(q, "X-Amz-Expires"));
        } catch (NumberFormatException e) {
            throw new Refused("malformed X-Amz-Expires");
        }
        if (expires <= 0 || expires > MAX_EXPIRES_SECONDS) throw new Refused("X-Amz-Expires out of range: " + expires);
        Instant now = clock.instant();
        Instant expiry = signedAt.plusSeconds(expires);
        if (now.isAfter(expiry)) throw new Refused("expired at " + expiry + " (signed " + signedAt + ", now " + now + ")");
        if (signedAt.isAfter(now.plusSeconds(MAX_CLOCK_SKEW_SECONDS))) throw new Refused("signed in the future: " + signedAt);
        Identity identity = identities.get(accessKey);
        if (identity == null) throw new Refused("unknown access key " + accessKey);
        String expected = sign(identity.secret(), uri, q, amzDate, scopeDate, scopeRegion);
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), signature.toLowerCase().getBytes(StandardCharsets.US_ASCII))) {
            throw new Refused("signature mismatch for access key " + accessKey);
        }
        return new Token(tokenValue, identity.principal(), expiry.toEpochMilli(), signedAt.toEpochMilli());
    }

    private static String require(Map<String, String> q, String name) throws Refused {
        String v = q.get(name);
        if (v == null || v.isEmpty()) throw new Refused("missing " + name);
        return v;
    }

    static Map<String, String> parseQuery(String rawQuery) throws Refused {
        Map<String, String> q = new TreeMap<>();
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String k = decode(eq < 0 ? pair : pair.substring(0, eq));
            String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
            if (q.put(k, v) != null) throw new Refused("duplicate query parameter " + k);
        }
        return q;
    }

    private static String decode(String s) throws Refused {
        try {
            // SigV4 encoders never emit '+'; keep a literal '+' as '+'.
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new Refused("malformed percent-encoding");
        }
    }

    /** RFC 3986 encoding as SigV4 canonical requests use it. */
    static String encode(String s) {
        StringBuilder b = new StringBuilder();
        for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
                b.append((char) c);
            } else {
                b.append('%').append(String.format("%02X", c & 0xff));
            }
        }
        return b.toString();
    }

    private static String sign(String secret, URI uri, Map<String, String> q, String amzDate, String date, String region) throws Refused {
        StringBuilder canonicalQuery = new StringBuilder();
        for (Map.Entry<String, String> e : q.entrySet()) { // TreeMap: sorted by name
            if (e.getKey().equals("X-Amz-Signature") || e.getKey().equals("User-Agent")) continue;
            if (canonicalQuery.length() > 0) canonicalQuery.append('&');
            canonicalQuery.append(encode(e.getKey())).append('=').append(encode(e.getValue()));
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String hostHeader = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
        String canonicalRequest = "GET\n" + path + "\n" + canonicalQuery + "\nhost:" + hostHeader + "\n\nhost\n" + EMPTY_SHA256;
        String scope = date + "/" + region + "/" + SERVICE + "/aws4_request";
        try {
            String stringToSign = ALGORITHM + "\n" + amzDate + "\n" + scope + "\n" + hex(MessageDigest.getInstance("SHA-256").digest(canonicalRequest.getBytes(StandardCharsets.UTF_8)));
            byte[] key = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
            key = hmac(key, region);
            key = hmac(key, SERVICE);
            key = hmac(key, "aws4_request");
            return hex(hmac(key, stringToSign));
        } catch (GeneralSecurityException e) {
            throw new Refused("cannot compute signature: " + e.getMessage());
        }
    }

    private static byte[] hmac(byte[] key, String data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    @Override
    public void close() {}
}
