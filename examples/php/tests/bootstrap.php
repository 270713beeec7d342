<?php
// Starts one wecom-mock for the test run ($WECOM_MOCK_BIN, or wecom-mock on PATH) on a port the
// kernel picks, and stops it (SIGTERM) when PHPUnit exits.

declare(strict_types=1);

require_once __DIR__ . '/WecomMock.php';

WecomMock::start(getenv('WECOM_MOCK_BIN') ?: 'wecom-mock');
register_shutdown_function([WecomMock::class, 'stop']);
