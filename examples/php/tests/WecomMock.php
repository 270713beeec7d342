<?php
// A wecom-mock process and the HTTP calls the tests make, with PHP's own stream HTTP client
// (file_get_contents) and proc_open: nothing to install besides PHPUnit. Copy it into your project.

declare(strict_types=1);

final class WecomMock
{
    /** The base URL of the running server (http://127.0.0.1:PORT). */
    public static string $url = '';

    /** @var resource|null */
    private static $process = null;

    public static function start(string $binary): void
    {
        $pipes = [];
        // Its log on stderr: warnings and errors only, unless RUST_LOG says otherwise.
        $env = getenv() + ['RUST_LOG' => 'warn'];
        $process = proc_open([$binary, '--listen', '127.0.0.1:0'], [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => STDERR], $pipes, null, $env);
        if ($process === false) {
            throw new RuntimeException("cannot start $binary (set WECOM_MOCK_BIN)");
        }
        self::$process = $process;
        $line = (string) fgets($pipes[1]); // "wecom-mock listening on http://127.0.0.1:PORT"
        if (!preg_match('#wecom-mock listening on (http://\S+)#', $line, $match)) {
            self::stop();
            throw new RuntimeException("wecom-mock printed '$line', not its address");
        }
        self::$url = $match[1];
        for ($deadline = microtime(true) + 30; microtime(true) < $deadline; usleep(50_000)) {
            if (@file_get_contents(self::$url . '/healthz') !== false) {
                return;
            }
        }
        self::stop();
        throw new RuntimeException('wecom-mock did not become healthy');
    }

    public static function stop(): void
    {
        if (self::$process !== null) {
            proc_terminate(self::$process); // SIGTERM: it finishes in-flight requests and exits
            proc_close(self::$process);
            self::$process = null;
        }
    }

    /**
     * One HTTP call; returns [status, decoded JSON answer (null when empty)].
     *
     * @param array<mixed>|object|null $body
     * @return array{0: int, 1: mixed}
     */
    public static function send(string $method, string $path, $body = null, ?string $bearer = null): array
    {
        $headers = [];
        if ($body !== null) {
            $headers[] = 'Content-Type: application/json';
        }
        if ($bearer !== null) {
            $headers[] = "Authorization: Bearer $bearer";
        }
        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => $headers,
            'content' => $body === null ? '' : json_encode($body, JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR),
            'ignore_errors' => true, // a 4xx answer is still read: its body says why
        ]]);
        $text = file_get_contents(self::$url . $path, false, $context);
        if ($text === false) {
            throw new RuntimeException("$method $path: no answer");
        }
        preg_match('#^HTTP/\S+ (\d{3})#', $http_response_header[0], $status);
        return [(int) $status[1], $text === '' ? null : json_decode($text, true, 512, JSON_THROW_ON_ERROR)];
    }
}

/** A fresh corp of the test's own (POST /__admin/tenants) with an access token. */
final class Corp
{
    public string $corpid;
    private string $adminToken;
    private string $token;

    /** @param array<string, mixed>|null $fixture the corp's directory; default the mock's */
    public function __construct(?array $fixture = null)
    {
        [$status, $tenant] = WecomMock::send('POST', '/__admin/tenants', $fixture === null ? new stdClass() : ['fixture' => $fixture]);
        if ($status !== 200) {
            throw new RuntimeException("POST /__admin/tenants: HTTP $status");
        }
        $this->corpid = $tenant['corpid'];
        $this->adminToken = $tenant['admin_token'];
        $query = http_build_query(['corpid' => $tenant['corpid'], 'corpsecret' => $tenant['secret']]);
        [, $answer] = WecomMock::send('GET', "/cgi-bin/gettoken?$query");
        if ($answer['errcode'] !== 0) {
            throw new RuntimeException('gettoken: ' . json_encode($answer));
        }
        $this->token = $answer['access_token'];
    }

    public function delete(): void
    {
        $this->admin('DELETE', '/__admin/corps/' . rawurlencode($this->corpid));
    }

    /**
     * A WeCom API call (POST, HTTP 200 whatever the outcome): the answer with its errcode.
     *
     * @param array<string, mixed> $body
     * @return array<string, mixed>
     */
    public function call(string $api, array $body): array
    {
        [$status, $answer] = WecomMock::send('POST', "/cgi-bin/$api?access_token={$this->token}", $body);
        if ($status !== 200) {
            throw new RuntimeException("$api: HTTP $status");
        }
        return $answer;
    }

    /**
     * A WeCom GET call with query parameters.
     *
     * @param array<string, string> $query
     * @return array<string, mixed>
     */
    public function get(string $api, array $query): array
    {
        $query['access_token'] = $this->token;
        return WecomMock::send('GET', "/cgi-bin/$api?" . http_build_query($query))[1];
    }

    /**
     * A control-surface call for this corp, with its admin token: [status, answer].
     *
     * @param array<string, mixed>|null $body
     * @return array{0: int, 1: mixed}
     */
    public function admin(string $method, string $path, ?array $body = null): array
    {
        return WecomMock::send($method, $path, $body, $this->adminToken);
    }
}
