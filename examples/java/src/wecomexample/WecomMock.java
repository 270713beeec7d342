package wecomexample;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A wecom-mock process for a test class, and the HTTP calls the tests make, with the JDK's own
 * {@link HttpClient}. Copy it (and {@link Json}) into your project.
 */
final class WecomMock {
    private static final Pattern BANNER = Pattern.compile("wecom-mock listening on (http://\\S+)");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** The base URL to point a WeCom client at (http://127.0.0.1:PORT). */
    final String url;
    private final Process process;

    private WecomMock(Process process, String url) {
        this.process = process;
        this.url = url;
    }

    /** Starts $WECOM_MOCK_BIN (or wecom-mock on PATH) on a free port; returns once /healthz answers. */
    static WecomMock start() throws IOException, InterruptedException {
        String binary = System.getenv().getOrDefault("WECOM_MOCK_BIN", "wecom-mock");
        ProcessBuilder builder = new ProcessBuilder(binary, "--listen", "127.0.0.1:0").redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putIfAbsent("RUST_LOG", "warn"); // its log on stderr: warnings and errors only
        Process process = builder.start();
        BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = stdout.readLine(); // "wecom-mock listening on http://127.0.0.1:PORT"
        Matcher match = BANNER.matcher(line == null ? "" : line);
        if (!match.find()) {
            process.destroy();
            throw new IOException("wecom-mock printed " + line + ", not its address");
        }
        Thread drain = new Thread(() -> stdout.lines().forEach(ignored -> { }));
        drain.setDaemon(true);
        drain.start();
        WecomMock mock = new WecomMock(process, match.group(1));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                if (mock.send("GET", "/healthz", null, null).status() == 200) {
                    return mock;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        mock.stop();
        throw new IOException("wecom-mock did not become healthy");
    }

    /** SIGTERM: it finishes in-flight requests and exits. */
    void stop() throws InterruptedException {
        process.destroy();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** An HTTP answer: its status and decoded JSON body ({@code null} when empty). */
    record Answer(int status, Object body) {
        @SuppressWarnings("unchecked")
        Map<String, Object> json() {
            return (Map<String, Object>) body;
        }
    }

    Answer send(String method, String path, Object body, String bearer) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30));
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json");
            request.method(method, HttpRequest.BodyPublishers.ofString(Json.write(body)));
        }
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        HttpResponse<String> answer = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Answer(answer.statusCode(), answer.body().isEmpty() ? null : Json.parse(answer.body()));
    }

    /** A fresh corp of the test's own (POST /__admin/tenants): the mock's directory, or {@code fixture}. */
    Corp corp(Map<String, Object> fixture) throws IOException, InterruptedException {
        Answer tenant = send("POST", "/__admin/tenants", fixture == null ? Map.of() : Map.of("fixture", fixture), null);
        if (tenant.status() != 200) {
            throw new IOException("POST /__admin/tenants: HTTP " + tenant.status() + " " + tenant.body());
        }
        Map<String, Object> created = tenant.json();
        String query = "corpid=" + encode(created.get("corpid")) + "&corpsecret=" + encode(created.get("secret"));
        Map<String, Object> token = send("GET", "/cgi-bin/gettoken?" + query, null, null).json();
        if (!Long.valueOf(0).equals(token.get("errcode"))) {
            throw new IOException("gettoken: " + token);
        }
        return new Corp((String) created.get("corpid"), (String) created.get("admin_token"), (String) token.get("access_token"));
    }

    static String encode(Object value) {
        return URLEncoder.encode(String.valueOf(value), StandardCharsets.UTF_8);
    }

    /** A corp of the test's own, with its access token and admin token. */
    final class Corp {
        final String corpid;
        private final String adminToken;
        private final String token;

        private Corp(String corpid, String adminToken, String token) {
            this.corpid = corpid;
            this.adminToken = adminToken;
            this.token = token;
        }

        /** A WeCom API call: POST, HTTP 200 whatever the outcome, which is the answer's errcode. */
        Map<String, Object> call(String api, Map<String, Object> body) throws IOException, InterruptedException {
            Answer answer = send("POST", "/cgi-bin/" + api + "?access_token=" + token, body, null);
            if (answer.status() != 200) {
                throw new IOException(api + ": HTTP " + answer.status());
            }
            return answer.json();
        }

        /** A WeCom GET call with one query parameter. */
        Map<String, Object> get(String api, String name, String value) throws IOException, InterruptedException {
            return send("GET", "/cgi-bin/" + api + "?access_token=" + token + "&" + name + "=" + encode(value), null, null).json();
        }

        /** A control-surface call for this corp, with its admin token. */
        Answer admin(String method, String path, Map<String, Object> body) throws IOException, InterruptedException {
            return send(method, path, body, adminToken);
        }

        void delete() throws IOException, InterruptedException {
            admin("DELETE", "/__admin/corps/" + encode(corpid), null);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> object(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
        return (List<Object>) value;
    }
}
