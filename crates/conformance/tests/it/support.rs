//! A runtime and an in-process mock shared by a test.

use wecom_mock::MockServer;

/// A multi-threaded runtime with the mock serving on it.
pub(crate) struct InProcess {
    pub(crate) rt: tokio::runtime::Runtime,
    pub(crate) mock: MockServer,
}

impl InProcess {
    pub(crate) fn start() -> InProcess {
        InProcess::with(MockServer::builder())
    }

    pub(crate) fn with(builder: wecom_mock::MockServerBuilder) -> InProcess {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let mock = rt.block_on(builder.seed(7).start());
        InProcess { rt, mock }
    }

    pub(crate) fn target(&self) -> wecom_conformance::target::Target {
        wecom_conformance::target::Target::new(self.mock.uri())
    }
}
