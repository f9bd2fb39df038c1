//! A pseudo-terminal for `tty=true`: the controller side read and written
//! through tokio, the terminal side handed to the sandboxed process as its
//! stdin, stdout and stderr, and resized from channel 4. rustix and tokio's
//! pipe types keep this free of `unsafe`.

use std::io;
use std::os::fd::OwnedFd;
use std::process::Stdio;

use rustix::fs::{Mode, OFlags};
use rustix::pty::OpenptFlags;
use tokio::net::unix::pipe;

/// The controller side of a terminal.
pub struct Pty {
    /// What the process writes (EIO, the end, once it is gone).
    pub output: pipe::Receiver,
    /// What the process reads.
    pub input: pipe::Sender,
    size: OwnedFd,
}

impl Pty {
    /// Opens a terminal pair: the controller, and the terminal's three
    /// standard streams for the child.
    pub fn open() -> io::Result<(Pty, [Stdio; 3])> {
        let controller =
            rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
        rustix::pty::grantpt(&controller)?;
        rustix::pty::unlockpt(&controller)?;
        let name = rustix::pty::ptsname(&controller, Vec::new())?;
        let terminal = rustix::fs::open(
            name.as_c_str(),
            OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        rustix::io::ioctl_fionbio(&controller, true)?;
        let stdio = [
            Stdio::from(terminal.try_clone()?),
            Stdio::from(terminal.try_clone()?),
            Stdio::from(terminal),
        ];
        // A terminal is no pipe, but it polls like one: tokio's unchecked
        // constructors register any non-blocking descriptor.
        let pty = Pty {
            output: pipe::Receiver::from_owned_fd_unchecked(controller.try_clone()?)?,
            input: pipe::Sender::from_owned_fd_unchecked(controller.try_clone()?)?,
            size: controller,
        };
        Ok((pty, stdio))
    }

    /// A handle that resizes the terminal after its streams are moved.
    pub fn sizer(&self) -> io::Result<Sizer> {
        Ok(Sizer(self.size.try_clone()?))
    }
}

pub struct Sizer(OwnedFd);

impl Sizer {
    pub fn resize(&self, width: u16, height: u16) -> io::Result<()> {
        let size = rustix::termios::Winsize {
            ws_row: height,
            ws_col: width,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&self.0, size).map_err(io::Error::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resizing_sets_the_terminals_size() {
        let (pty, _stdio) = Pty::open().unwrap();
        pty.sizer().unwrap().resize(132, 43).unwrap();
        let size = rustix::termios::tcgetwinsize(&pty.size).unwrap();
        assert_eq!((size.ws_col, size.ws_row), (132, 43));
    }
}
