"""Top-down pictures of a world: numpy only for ``rgb_array``; pygame only for ``human``."""

from __future__ import annotations

import numpy as np

from wmenvs.gridworlds.worlds import World

CELL_PIXELS = 16
FREE, WALL, GOAL, AGENT, GRID = (235, 235, 235), (40, 40, 48), (60, 170, 80), (210, 50, 50), (200, 200, 200)


def draw_frame(world: World, agent_cell: int, goal_cell: int, cell_pixels: int = CELL_PIXELS) -> np.ndarray:
    """``(rows * cell_pixels, cols * cell_pixels, 3)`` uint8: walls dark, goal green, agent red."""
    cells = np.where(world.free[..., None], np.uint8(FREE), np.uint8(WALL)).astype(np.uint8)
    goal_row, goal_col = world.coords[goal_cell]
    cells[goal_row, goal_col] = GOAL
    frame = cells.repeat(cell_pixels, axis=0).repeat(cell_pixels, axis=1)
    frame[::cell_pixels, :] = GRID  # thin grid lines show the hidden cell structure
    frame[:, ::cell_pixels] = GRID
    row, col = world.coords[agent_cell]
    margin = cell_pixels // 5
    frame[row * cell_pixels + margin:(row + 1) * cell_pixels - margin + 1,
          col * cell_pixels + margin:(col + 1) * cell_pixels - margin + 1] = AGENT
    return frame


class HumanWindow:
    """A pygame window that shows frames; created on the first :meth:`show`."""

    def __init__(self, title: str, fps: int):
        self.title, self.fps = title, fps
        self._screen = None
        self._clock = None

    def show(self, frame: np.ndarray) -> None:
        import pygame

        if self._screen is None:
            pygame.init()
            pygame.display.set_caption(self.title)
            self._screen = pygame.display.set_mode((frame.shape[1], frame.shape[0]))
            self._clock = pygame.time.Clock()
        pygame.event.pump()
        self._screen.blit(pygame.surfarray.make_surface(frame.swapaxes(0, 1)), (0, 0))
        pygame.display.flip()
        self._clock.tick(self.fps)

    def __getstate__(self):  # a pickled env reopens its window on the next frame
        return {"title": self.title, "fps": self.fps, "_screen": None, "_clock": None}

    def close(self) -> None:
        if self._screen is not None:
            import pygame

            pygame.display.quit()
            self._screen = None
